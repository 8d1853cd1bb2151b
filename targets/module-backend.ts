/**
 * A user's backend module (`--backend=./my-backend.ts`): a file exporting a `BackendFactory`
 * (kwargs in, `SecretsBackend` out) as its default export or as `createBackend`. `.ts` files are
 * loaded through tsx, so no build step is needed. Every way the module can be unusable is a
 * `ConfigurationError` with one line and a hint.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { checkConnectionFields } from '../model/connection/connection-fields';
import { Connection } from '../model/connection/connection';
import type { BackendFactory, SecretsBackend } from '../model/contract';
import { ConfigurationError, ConnectionFormatError, firstErrorLine, isSecretsError } from '../model/errors';

export const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;
const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);
const BACKEND_METHODS = ['getConnValue', 'getConnection', 'getVariable', 'getConfig'] as const;

export interface BackendModule {
  /** Absolute path of the module file. */
  readonly path: string;
  readonly factory: BackendFactory;
  /** Everything the module exports, for declarations read by the caller (`conformance`). */
  readonly exports: Readonly<Record<string, unknown>>;
}

/** What the command line names as a module rather than a target: a path to a script file. */
export function looksLikeModulePath(item: string): boolean {
  return /^(\.{1,2}\/|\/)/.test(item) || MODULE_EXTENSIONS.some((extension) => item.endsWith(extension));
}

function moduleError(path: string, problem: string, hint: string): ConfigurationError {
  return new ConfigurationError(`backend module ${path}: ${problem}`, { what: 'backend module', where: path, hint });
}

const loaded = new Map<string, Promise<BackendModule>>();

/** Loads and checks a module once per process; `path` is resolved against `cwd`. */
export function loadBackendModule(path: string, cwd = process.cwd()): Promise<BackendModule> {
  const absolute = resolve(cwd, path);
  let found = loaded.get(absolute);
  if (!found) {
    found = importBackendModule(path, absolute);
    loaded.set(absolute, found);
    // A failed load is reported to this caller, and retried by the next.
    found.catch(() => loaded.delete(absolute));
  }
  return found;
}

async function importBackendModule(shown: string, absolute: string): Promise<BackendModule> {
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw moduleError(shown, 'file not found', `pass the path of a ${MODULE_EXTENSIONS.join('/')} file, relative to ${process.cwd()}`);
  }
  const extension = extname(absolute);
  if (!(MODULE_EXTENSIONS as readonly string[]).includes(extension)) {
    throw moduleError(shown, `"${extension || basename(absolute)}" is not a module extension`, `use one of ${MODULE_EXTENSIONS.join(', ')}`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(pathToFileURL(absolute).href, TYPESCRIPT_EXTENSIONS.has(extension));
  } catch (error) {
    throw moduleError(shown, `cannot be loaded (${firstErrorLine(error)})`, 'run it with `npx tsx <file>` to see the whole error');
  }
  const factory = pickFactory(exports);
  if (!factory) {
    throw moduleError(shown, 'exports no backend factory', 'export default (kwargs) => backend, or export function createBackend(kwargs) { ... }');
  }
  return { path: absolute, factory, exports };
}

/**
 * The running loader first: under vitest (or tsx) the module then shares this process's modules,
 * so its errors are our error classes. Plain Node cannot load `.ts`; tsx does it then.
 */
async function importModule(url: string, typescript: boolean): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    if (!typescript || (error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}

function pickFactory(exports: Record<string, unknown>): BackendFactory | null {
  const candidates = [exports.default, exports.createBackend];
  // tsx may hand a CommonJS-shaped module back with the real exports under `default`.
  const nested = exports.default as Record<string, unknown> | undefined;
  if (nested && typeof nested === 'object') candidates.push(nested.default, nested.createBackend);
  return (candidates.find((candidate) => typeof candidate === 'function') as BackendFactory | undefined) ?? null;
}

/** Calls the module's factory and checks that what comes back is a backend. */
export async function createBackendFromModule(module: BackendModule, kwargs: Record<string, unknown>): Promise<SecretsBackend> {
  let made: unknown;
  try {
    made = await module.factory(kwargs);
  } catch (error) {
    // A SecretsError is the module's own, deliberate refusal (bad kwargs): keep its class.
    if (isSecretsError(error)) throw error;
    throw moduleError(
      module.path,
      `the factory threw ${firstErrorLine(error)}`,
      'the factory gets the backend kwargs as one object; check what it expects',
    );
  }
  const problem = notABackend(made);
  if (problem) {
    throw moduleError(
      module.path,
      `the factory returned ${problem}`,
      `return an object with kind and ${BACKEND_METHODS.join(', ')} (extend BaseSecretsBackend)`,
    );
  }
  return made as SecretsBackend;
}

function notABackend(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return value === null ? 'null' : `a ${typeof value}`;
  const candidate = value as Record<string, unknown>;
  const missing = BACKEND_METHODS.filter((method) => typeof candidate[method] !== 'function');
  if (missing.length > 0) return `an object without ${missing.join(', ')}`;
  if (typeof candidate.kind !== 'string' || candidate.kind === '') return 'an object without a "kind" name';
  return null;
}

/**
 * A backend whose construction is asynchronous (a module still loading, an async factory), usable
 * at once: every call waits for it, and a construction failure is that call's error.
 */
export class DeferredBackend implements SecretsBackend {
  private readonly ready: Promise<SecretsBackend>;

  constructor(
    readonly kind: string,
    create: () => Promise<SecretsBackend>,
  ) {
    this.ready = create();
    this.ready.catch(() => {});
  }

  async getConnValue(connId: string): Promise<string | null> {
    return (await this.ready).getConnValue(connId);
  }

  async getConnection(connId: string): Promise<Connection | null> {
    const connection: unknown = await (await this.ready).getConnection(connId);
    if (connection === null) return null;
    const what = `connection "${connId}" from ${this.kind}`;
    if (!(connection instanceof Connection)) {
      throw new ConnectionFormatError(
        `${what}: getConnection returned ${connection === undefined ? 'undefined' : `a ${typeof connection} that is not a Connection`}`,
        {
          what,
          hint: 'return null for "not found", or a Connection built with Connection.fromFields / deserializeConnection',
        },
      );
    }
    checkConnectionFields(
      {
        conn_type: connection.connType,
        host: connection.host,
        login: connection.login,
        password: connection.password,
        schema: connection.schema,
        description: connection.description,
        port: connection.port,
        extra: connection.extra,
      },
      what,
      'object',
    );
    return connection;
  }

  async getVariable(key: string): Promise<string | null> {
    return (await this.ready).getVariable(key);
  }

  async getConfig(key: string): Promise<string | null> {
    return (await this.ready).getConfig(key);
  }

  async close(): Promise<void> {
    let backend: SecretsBackend;
    try {
      backend = await this.ready;
    } catch {
      return;
    }
    await backend.close?.();
  }
}
