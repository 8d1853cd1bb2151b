/**
 * Mutants of the port rules (spec §6.1.9, §6.4): each reads a port the way a hand-written backend
 * that builds its own Connection plausibly would. They wrap a real backend: where the real reading
 * fails on the port, they read the stored value again with their own port rule.
 */
import { deserializeConnection } from '../model/connection/connection';
import { pythonStrip } from '../model/connection/python-builtins';
import { ConnectionFormatError } from '../model/errors';
import { DamagingBackend, RecoveringBackend } from './backend-mutants';
import type { MutantSpec } from './mutant';

type PortRule = (written: string) => string | null;

/**
 * Re-reads a stored value whose port the real parser refused, with the port rewritten by `rule`
 * (null: the rule refuses it too, and the real error stands).
 */
function readWithPortRule(error: unknown, stored: string, connId: string, rule: PortRule) {
  if (!(error instanceof ConnectionFormatError) || !/port/i.test(error.message)) throw error;
  const text = stored.trim();
  if (text.startsWith('{')) {
    const document = JSON.parse(text) as Record<string, unknown>;
    const port = typeof document.port === 'string' ? rule(document.port) : null;
    if (port === null) throw error;
    return deserializeConnection(connId, JSON.stringify({ ...document, port }), 'sdk');
  }
  // The port of a URI: after the last ":" of the authority, up to the path, query or fragment.
  const authority = /^([^:/?#]+:\/\/[^/?#]*:)([^:/?#@]*)(.*)$/s.exec(text);
  const port = authority ? rule(authority[2] as string) : null;
  if (!authority || port === null) throw error;
  return deserializeConnection(connId, `${authority[1]}${port}${authority[3]}`, 'sdk');
}

const portParsedWithParseInt: MutantSpec = {
  name: 'port-parsed-with-parseint',
  breaks: '§6.1.9 §6.4 reads the port with parseInt(), which keeps the leading digits of "5432abc"',
  backend: (real) =>
    new RecoveringBackend(real, (error, stored, connId) =>
      readWithPortRule(error, stored, connId, (written) => {
        const lenient = Number.parseInt(written, 10);
        return Number.isNaN(lenient) ? null : String(lenient);
      }),
    ),
};

const portStrippedLikeStrStrip: MutantSpec = {
  name: 'port-stripped-with-str-strip',
  breaks: '§6.4 strips a JSON port with str.strip() before int(), so the separators U+001C-U+001F around it pass',
  backend: (real) =>
    new RecoveringBackend(real, (error, stored, connId) =>
      readWithPortRule(error, stored, connId, (written) => {
        const stripped = pythonStrip(written);
        return stripped !== written && /^[0-9]+$/.test(stripped) ? stripped : null;
      }),
    ),
};

const portReadAsNumber: MutantSpec = {
  name: 'port-read-as-a-javascript-number',
  breaks: '§6.4 holds the port in a JavaScript number, which rounds an int past 2^53 (9007199254740993 becomes ...992)',
  backend: (real) =>
    new DamagingBackend(real, (connection) => {
      if (typeof connection.port === 'bigint') connection.port = Number(connection.port);
    }),
};

/** Mutants made from the `env` target. */
export const portMutants: readonly MutantSpec[] = [portParsedWithParseInt, portStrippedLikeStrStrip, portReadAsNumber];
