/**
 * Mutants of the local file loader: parse errors that lose their line numbers or their class, bad
 * connection entries skipped instead of refused, objects normalised like JSON connections.
 * Each is made for every file format, since each format's cases run on its own target.
 */
import { normalizeConnType } from '../../model/connection/connection-fields';
import { ConnectionFormatError, FileParseError, MalformedSecretError, UnavailableError } from '../../model/errors';
import { readFile } from 'node:fs/promises';
import type { SecretsBackend } from '../../model/contract';
import { NotUniqueError } from '../../model/errors';
import { ForwardingBackend, idsMangled, mutantOf, type MutantSpec, type MutantTarget } from '../../mutants/mutant';
import type { LocalFileFormat } from './fixtures';
import type { LocalFilesystemBackend } from './local-filesystem';
import { parseEnvText } from './secret-file-parsers';
import { localEnvTarget, localJsonTarget, localTargets } from './targets';

/** Runs each lookup through `onError` when it fails, and through `onValue` when it answers. */
class ErrorRewritingBackend extends ForwardingBackend {
  constructor(
    inner: ConstructorParameters<typeof ForwardingBackend>[0],
    private readonly onError: (error: unknown) => unknown,
  ) {
    super(inner);
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const outcome = this.onError(error);
      if (outcome instanceof Error) throw outcome;
      return outcome as T;
    }
  }

  override getConnection(connId: string) {
    return this.guard(() => this.inner.getConnection(connId));
  }

  override getVariable(key: string) {
    return this.guard(() => this.inner.getVariable(key));
  }

  override getConfig(key: string) {
    return this.guard(() => this.inner.getConfig(key));
  }
}

const withoutLineNumbers: MutantSpec = {
  name: 'parse-errors-without-line-numbers',
  breaks: '§5.3 reports file parse errors without their line numbers',
  backend: (real) =>
    new ErrorRewritingBackend(real, (error) =>
      error instanceof FileParseError
        ? new FileParseError(
            error.message,
            error.errors.map((e) => ({ ...e, line: 0 })),
            { where: error.where },
          )
        : error,
    ),
};

const reportedUnavailable: MutantSpec = {
  name: 'malformed-file-reported-unavailable',
  breaks: '§5.3 reports a malformed file as an unreadable one (UnavailableError), losing what is wrong',
  backend: (real) =>
    new ErrorRewritingBackend(real, (error) =>
      error instanceof MalformedSecretError ? new UnavailableError('cannot read the secrets file', { where: error.where }) : error,
    ),
};

const badEntriesSkipped: MutantSpec = {
  name: 'bad-connection-entries-skipped',
  breaks: '§5.3 skips a connection entry it cannot build instead of raising',
  backend: (real) => new ErrorRewritingBackend(real, (error) => (error instanceof ConnectionFormatError ? null : error)),
};

const fieldConnTypeNormalised: MutantSpec = {
  name: 'file-conn-type-normalised',
  breaks: '§5.2 normalises conn_type of a file object as from_json does (postgresql -> postgres)',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConnection(connId: string) {
        const connection = await this.inner.getConnection(connId);
        if (connection?.connType) connection.connType = normalizeConnType(connection.connType);
        return connection;
      }
    })(real),
};

const configNotServed: MutantSpec = {
  name: 'config-not-served',
  breaks: '§3.3 ignores configs_file_path and answers None for every config key',
  backend: (real) =>
    new (class extends ForwardingBackend {
      override async getConfig() {
        return null;
      }
    })(real),
};

/** The mutants made from the local target of each file format. */
const fileMutants: Readonly<Record<LocalFileFormat, readonly MutantSpec[]>> = {
  env: [withoutLineNumbers, reportedUnavailable],
  json: [withoutLineNumbers, reportedUnavailable, badEntriesSkipped, fieldConnTypeNormalised, configNotServed],
  yaml: [withoutLineNumbers, reportedUnavailable, badEntriesSkipped],
};

/** Mutants made from the `local-env` target. */
const envFileMutants: readonly MutantSpec[] = [
  {
    name: 'env-file-duplicates-accepted',
    breaks: '§5.3 accepts a key defined twice in a .env file (last one wins) instead of raising NotUnique',
    backend: (real: SecretsBackend) =>
      new (class extends ForwardingBackend {
        override async getVariable(key: string) {
          try {
            return await this.inner.getVariable(key);
          } catch (error) {
            if (!(error instanceof NotUniqueError)) throw error;
            // Reach past `protected`: the mutant re-reads the very file the real backend refused.
            const path = (this.inner as unknown as { filePath(kind: 'variables'): string | null }).filePath('variables');
            const values = path ? parseEnvText(await readFile(path, 'utf8')).secrets.get(key) : undefined;
            return Array.isArray(values) ? (values.at(-1) as string) : null;
          }
        }
      })(real as LocalFilesystemBackend),
  },
];

/** File mutants are named after their format: `mutant:local-json-parse-errors-without-line-numbers`. */
export const localMutants: readonly MutantTarget[] = [
  ...localTargets.flatMap((target) => {
    const format = target.fileFormat ?? 'json';
    return fileMutants[format].map((spec) => mutantOf(target, { ...spec, name: `${target.name}-${spec.name}` }));
  }),
  ...envFileMutants.map((spec) => mutantOf(localEnvTarget, spec)),
  mutantOf(
    localJsonTarget,
    idsMangled('local-json-ids-lower-cased', '§5.2 looks ids up lower-cased, where a file key is matched exactly', (id) => id.toLowerCase()),
  ),
];
