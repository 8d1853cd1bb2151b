/**
 * Mutants of the backends: each breaks one Airflow reading rule, the way a hand-written backend
 * plausibly would. They wrap a real backend and re-derive the broken field from the stored value,
 * so the fixture store stays correct and only the reading is wrong.
 */
import { Connection } from '../model/connection/connection';
import { ConnectionFormatError, isSecretsError, UnavailableError, type SecretsError } from '../model/errors';
import { ForwardingBackend, type MutantSpec } from './mutant';
import { percentEncode } from '../suites/values';

function uriParts(value: string): { scheme: string; rawHost: string | null; query: string } | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^@/?#]*@)?([^:/?#]*)[^?#]*(?:\?([^#]*))?/.exec(value.trim());
  if (!match) return null;
  return { scheme: match[1] ?? '', rawHost: match[2] || null, query: match[3] ?? '' };
}

function queryPairs(query: string): Array<[string, string]> {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
}

/** Reads the connection, then lets `mutate` damage it using the stored text. */
export class DamagingBackend extends ForwardingBackend {
  constructor(
    inner: ConstructorParameters<typeof ForwardingBackend>[0],
    private readonly mutate: (connection: Connection, stored: string) => void,
  ) {
    super(inner);
  }

  override async getConnection(connId: string) {
    const connection = await this.inner.getConnection(connId);
    const stored = connection ? await this.inner.getConnValue(connId) : null;
    if (connection && stored) this.mutate(connection, stored);
    return connection;
  }
}

const noPercentDecoding: MutantSpec = {
  name: 'no-percent-decoding',
  breaks: '§6.3 leaves login, password and schema percent-encoded',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      if (stored.trim().startsWith('{')) return;
      if (connection.login !== null) connection.login = percentEncode(connection.login);
      if (connection.password !== null) connection.password = percentEncode(connection.password);
      if (connection.schema !== null) connection.schema = percentEncode(connection.schema);
    }),
};

const hostCaseKept: MutantSpec = {
  name: 'hosts-not-lower-cased',
  breaks: '§6.1.6 keeps the host as written instead of lower-casing it',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      const parts = uriParts(stored);
      if (parts?.rawHost && connection.host && !connection.host.includes('/') && !connection.host.includes('://')) {
        connection.host = parts.rawHost;
      }
    }),
};

const dunderExtraIgnored: MutantSpec = {
  name: 'dunder-extra-ignored',
  breaks: '§6.1.10 treats __extra__ as an ordinary query parameter',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      const parts = uriParts(stored);
      if (parts && parts.query.includes('__extra__=')) connection.extra = JSON.stringify(Object.fromEntries(queryPairs(parts.query)));
    }),
};

const firstDuplicateWins: MutantSpec = {
  name: 'first-duplicate-query-key-wins',
  breaks: '§6.1.10 keeps the first of duplicate query keys instead of the last',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      const parts = uriParts(stored);
      if (!parts || parts.query.includes('__extra__=')) return;
      const extra: Record<string, string> = {};
      for (const [key, value] of queryPairs(parts.query)) if (!(key in extra)) extra[key] = value;
      if (Object.keys(extra).length > 0) connection.extra = JSON.stringify(extra);
    }),
};

const connTypeKept: MutantSpec = {
  name: 'conn-type-not-normalised',
  breaks: '§6.1.3 §6.4 keeps the URI scheme or JSON conn_type as written (postgresql, dashes)',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      if (stored.trim().startsWith('{')) {
        const written = (JSON.parse(stored) as { conn_type?: unknown }).conn_type;
        if (typeof written === 'string') connection.connType = written;
        return;
      }
      const parts = uriParts(stored);
      if (parts && connection.connType) connection.connType = parts.scheme.toLowerCase();
    }),
};

const sdkQueryValuesTyped: MutantSpec = {
  name: 'sdk-query-values-json-typed',
  breaks: '§6.1.10 json.loads query values on the task SDK path, which keeps them as strings',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      const parts = uriParts(stored);
      if (!parts || parts.query === '' || parts.query.includes('__extra__=')) return;
      const typed: Record<string, unknown> = {};
      for (const [key, value] of queryPairs(parts.query)) {
        try {
          typed[key] = value === '' ? value : (JSON.parse(value) as unknown);
        } catch {
          typed[key] = value;
        }
      }
      connection.extra = JSON.stringify(typed);
    }),
};

const hostProtocolDropped: MutantSpec = {
  name: 'host-protocol-dropped',
  breaks: '§6.1.1 drops the inner protocol of a host-with-protocol URI (k8s://h becomes h)',
  backend: (real) =>
    new DamagingBackend(real, (connection) => {
      if (connection.host?.includes('://')) connection.host = connection.host.split('://')[1] ?? null;
    }),
};

const slashHostsLowerCased: MutantSpec = {
  name: 'slash-hosts-lower-cased',
  breaks: '§6.1.6 lower-cases a host that holds an encoded "/" too',
  backend: (real) =>
    new DamagingBackend(real, (connection) => {
      if (connection.host?.includes('/') && !connection.host.includes('://')) connection.host = connection.host.toLowerCase();
    }),
};

const connValueReserialised: MutantSpec = {
  name: 'conn-value-reserialised',
  breaks: '§1.2 get_conn_value answers with a re-built URI instead of the stored text',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConnValue(connId: string) {
        const connection = await this.inner.getConnection(connId);
        return connection ? connection.getUri() : null;
      }
    })(real),
};

export const missingIsAnError: MutantSpec = {
  name: 'missing-is-an-error',
  breaks: '§1.2 raises for a missing secret instead of answering None',
  backend: (real) =>
    new (class extends ForwardingBackend {
      private async orFail<T>(what: string, value: Promise<T | null>): Promise<T> {
        const found = await value;
        if (found === null) throw new UnavailableError(`${what} does not exist`, { hint: 'create it' });
        return found;
      }
      override getConnValue(connId: string) {
        return this.orFail(`connection "${connId}"`, this.inner.getConnValue(connId));
      }
      override getConnection(connId: string) {
        return this.orFail(`connection "${connId}"`, this.inner.getConnection(connId));
      }
      override getVariable(key: string) {
        return this.orFail(`variable "${key}"`, this.inner.getVariable(key));
      }
      override getConfig(key: string) {
        return this.orFail(`config "${key}"`, this.inner.getConfig(key));
      }
    })(real),
};

const extraDropped: MutantSpec = {
  name: 'extra-dropped',
  breaks: "§6.1/§6.4 drops a connection's extra (URI query parameters, the extra field)",
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConnection(connId: string) {
        const connection = await this.inner.getConnection(connId);
        if (connection) connection.extra = null;
        return connection;
      }
    })(real),
};

const variablesReadAsConnections: MutantSpec = {
  name: 'variables-read-as-connections',
  breaks: '§1.2 looks a variable up where connections are kept (get_conn_value for get_variable)',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override getVariable(key: string) {
        return this.inner.getConnValue(key);
      }
    })(real),
};

const blankConnectionMissing: MutantSpec = {
  name: 'blank-connection-not-found',
  breaks: '§1.2 treats a whitespace-only connection as not found instead of failing to deserialize it',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConnection(connId: string) {
        const value = await this.inner.getConnValue(connId);
        return value !== null && value.trim() === '' ? null : this.inner.getConnection(connId);
      }
    })(real),
};

/** Reads the connection; when that fails, `recover` decides the answer, knowing the stored text. */
export class RecoveringBackend extends ForwardingBackend {
  constructor(
    inner: ConstructorParameters<typeof ForwardingBackend>[0],
    private readonly recover: (error: unknown, stored: string, connId: string) => Connection | null,
  ) {
    super(inner);
  }

  override async getConnection(connId: string) {
    try {
      return await this.inner.getConnection(connId);
    } catch (error) {
      return this.recover(error, (await this.inner.getConnValue(connId)) ?? '', connId);
    }
  }
}

const lenientParsing: MutantSpec = {
  name: 'malformed-uri-read-leniently',
  breaks: '§6.1 swallows URI and JSON parse errors and returns a connection with only conn_type set',
  backend: (real) =>
    new RecoveringBackend(real, (error, stored, connId) => {
      if (!(error instanceof ConnectionFormatError)) throw error;
      return Connection.fromFields({ conn_type: uriParts(stored)?.scheme ?? null }, { connId });
    }),
};

const errorsEchoValues: MutantSpec = {
  name: 'errors-echo-the-value',
  breaks: 'Standards: a format error message repeats the stored value, secret included',
  backend: (real) =>
    new RecoveringBackend(real, (error, stored) => {
      if (!isSecretsError(error)) throw error;
      const ErrorClass = error.constructor as new (message: string) => SecretsError;
      throw new ErrorClass(`${error.message} (value: ${stored})`);
    }),
};

const jsonPortKeptAsText: MutantSpec = {
  name: 'json-port-not-converted',
  breaks: '§6.4 keeps a JSON port given as a string instead of converting it with int()',
  backend: (real) =>
    new DamagingBackend(real, (connection, stored) => {
      if (!stored.trim().startsWith('{')) return;
      const port = (JSON.parse(stored) as { port?: unknown }).port;
      if (typeof port === 'string') (connection as unknown as { port: unknown }).port = port;
    }),
};

const emptyVariableMissing: MutantSpec = {
  name: 'empty-variable-not-found',
  breaks: '§1.2 treats a variable stored as "" as not found',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getVariable(key: string) {
        const value = await this.inner.getVariable(key);
        return value === '' ? null : value;
      }
    })(real),
};

const emptyConnectionFound: MutantSpec = {
  name: 'empty-connection-found',
  breaks: '§1.2 returns an empty connection for a value stored as "" instead of not found',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConnection(connId: string) {
        const value = await this.inner.getConnValue(connId);
        return value === '' ? Connection.fromFields({}, { connId }) : this.inner.getConnection(connId);
      }
    })(real),
};

/** Damages every string a lookup returns, the way a store client with the wrong codec would. */
function mangledValues(name: string, breaks: string, mangle: (text: string) => string): MutantSpec {
  return {
    name,
    breaks,
    backend: (real) =>
      new (class extends ForwardingBackend {
        override async getVariable(key: string) {
          const value = await this.inner.getVariable(key);
          return value === null ? null : mangle(value);
        }
        override async getConnection(connId: string) {
          const connection = await this.inner.getConnection(connId);
          if (!connection) return connection;
          if (connection.login !== null) connection.login = mangle(connection.login);
          if (connection.password !== null) connection.password = mangle(connection.password);
          if (connection.extra !== null) connection.extra = mangle(connection.extra);
          return connection;
        }
      })(real),
  };
}

const valueMangling: readonly MutantSpec[] = [
  mangledValues('values-trimmed', 'Standards: strips whitespace from the ends of every value', (t) => t.trim()),
  mangledValues('values-read-as-latin1', 'Standards: decodes stored UTF-8 as Latin-1, mangling non-ASCII text', (t) =>
    Buffer.from(t, 'utf8').toString('latin1'),
  ),
  mangledValues('values-unicode-normalised', 'Standards: NFC-normalises values, merging combining accents', (t) => t.normalize('NFC')),
  mangledValues('line-endings-normalised', 'Standards: turns CRLF into LF inside values', (t) => t.replace(/\r\n/g, '\n')),
  mangledValues('values-truncated-at-4-kb', 'Standards: cuts values at 4 KB, the size of a standard SSM parameter', (t) => t.slice(0, 4096)),
];

/** Reading-rule mutants, each built on the `env` target (the store with the fewest rules of its own). */
export const readingMutants: readonly MutantSpec[] = [
  sdkQueryValuesTyped,
  hostProtocolDropped,
  slashHostsLowerCased,
  connValueReserialised,
  missingIsAnError,
  blankConnectionMissing,
  lenientParsing,
  errorsEchoValues,
  ...valueMangling,
  noPercentDecoding,
  hostCaseKept,
  dunderExtraIgnored,
  firstDuplicateWins,
  connTypeKept,
  jsonPortKeptAsText,
  emptyVariableMissing,
  emptyConnectionFound,
  extraDropped,
  variablesReadAsConnections,
];
