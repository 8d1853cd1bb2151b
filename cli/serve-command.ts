/**
 * `secrets-conformance serve --module <file>`: a TypeScript (or JavaScript) backend module served
 * as a command speaking bridge/PROTOCOL.md on stdin/stdout, so the same backend can be certified
 * as a module (`--backend=./file.ts`) and as a command (`--backend-command='npx secrets-conformance
 * serve --module ./file.ts'`), and the two certificates compared.
 *
 * The module's `conformance` export is its `hello` store declaration; `open` builds the backend
 * with the module's factory and the kwargs given. stdout carries answers only.
 */
import { createInterface } from 'node:readline';
import type { Connection } from '../model/connection/connection';
import type { SecretsBackend } from '../model/contract';
import { FileParseError, isSecretsError, MalformedSecretError, NotUniqueError, ConnectionFormatError } from '../model/errors';
import { createBackendFromModule, loadBackendModule, type BackendModule } from '../targets/module-backend';
import { ownPackageVersion } from '../suites/target';
import { UsageError } from './usage-error';

const PROTOCOL_VERSION = 1;
const IMPLEMENTATION = 'secrets-conformance serve';
const OPS = ['hello', 'open', 'get_conn_value', 'get_connection', 'get_variable', 'get_config', 'close', 'env'];

type Request = Record<string, unknown> & { id?: unknown; op?: unknown };
type Answer = { id: unknown; value?: unknown; error?: Record<string, unknown>; backend_ms?: number };

class RequestError extends Error {}

function field<T>(request: Request, name: string, check: (value: unknown) => value is T, shape: string): T {
  const value = request[name];
  if (!check(value)) throw new RequestError(`"${String(request.op)}" needs "${name}" (${shape})`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A protocol error body for a thrown error: our classes keep their kind, anything else is `unknown`. */
function errorBody(error: unknown): Record<string, unknown> {
  if (error instanceof RequestError) return { kind: 'protocol', message: error.message };
  if (!isSecretsError(error)) {
    const type = error instanceof Error ? error.name : typeof error;
    return { kind: 'unknown', type, message: error instanceof Error ? error.message : String(error) };
  }
  const body: Record<string, unknown> = { kind: error.kind, type: error.name, message: error.message };
  if (error.hint) body.hint = error.hint;
  if (error.where) body.where = error.where;
  if (error instanceof FileParseError) Object.assign(body, { detail: 'file-parse', errors: error.errors });
  else if (error instanceof NotUniqueError) body.detail = 'not-unique';
  else if (error instanceof ConnectionFormatError) body.detail = 'connection-format';
  else if (error instanceof MalformedSecretError) body.detail = 'malformed';
  return body;
}

/** The connection as the protocol's field object; a port past 2^53 travels as its digits. */
function connectionFields(connection: Connection | null): Record<string, unknown> | null {
  if (connection === null) return null;
  const port = typeof connection.port === 'bigint' ? connection.port.toString() : connection.port;
  return {
    conn_id: connection.connId,
    conn_type: connection.connType,
    host: connection.host,
    login: connection.login,
    password: connection.password,
    schema: connection.schema,
    port,
    extra: connection.extra,
    description: connection.description,
  };
}

class Server {
  private readonly backends = new Map<string, SecretsBackend>();
  private nextHandle = 1;

  constructor(private readonly module: BackendModule) {}

  private backend(request: Request): SecretsBackend {
    const handle = field(request, 'handle', isString, 'a string');
    const backend = this.backends.get(handle);
    if (!backend) throw new RequestError(`no open backend has handle "${handle}"`);
    return backend;
  }

  async answer(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'hello':
        return {
          protocol: PROTOCOL_VERSION,
          implementation: IMPLEMENTATION,
          versions: { 'airflow-secrets-conformance': ownPackageVersion(), node: process.versions.node },
          backend: null,
          ...(isObject(this.module.exports.conformance) ? this.module.exports.conformance : { store: null }),
          ops: OPS,
        };
      case 'open': {
        const kwargs = request.kwargs === undefined ? {} : field(request, 'kwargs', isObject, 'an object');
        const backend = await createBackendFromModule(this.module, kwargs);
        const handle = `h${this.nextHandle++}`;
        this.backends.set(handle, backend);
        return { handle, class: backend.kind };
      }
      case 'get_conn_value':
        return this.backend(request).getConnValue(field(request, 'conn_id', isString, 'a string'));
      case 'get_connection':
        return connectionFields(await this.backend(request).getConnection(field(request, 'conn_id', isString, 'a string')));
      case 'get_variable':
        return this.backend(request).getVariable(field(request, 'key', isString, 'a string'));
      case 'get_config':
        return this.backend(request).getConfig(field(request, 'key', isString, 'a string'));
      case 'close': {
        const handle = field(request, 'handle', isString, 'a string');
        await this.backends.get(handle)?.close?.();
        this.backends.delete(handle);
        return null;
      }
      case 'env': {
        const set = request.set === undefined ? {} : field(request, 'set', isObject, 'an object');
        const unset = Array.isArray(request.unset) ? request.unset.filter(isString) : [];
        for (const [name, value] of Object.entries(set)) if (typeof value === 'string') process.env[name] = value;
        for (const name of unset) delete process.env[name];
        return null;
      }
      default:
        throw new RequestError(`unknown op ${JSON.stringify(request.op)}; known: ${OPS.join(', ')}`);
    }
  }
}

async function serve(module: BackendModule): Promise<void> {
  const server = new Server(module);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let request: Request;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!isObject(parsed)) throw new RequestError('a request is a JSON object');
      request = parsed;
    } catch (error) {
      const message = error instanceof RequestError ? error.message : 'the request line is not JSON';
      process.stdout.write(`${JSON.stringify({ id: null, error: { kind: 'protocol', message } })}\n`);
      continue;
    }
    const started = performance.now();
    let reply: Answer;
    try {
      reply = { id: request.id ?? null, value: await server.answer(request), backend_ms: performance.now() - started };
    } catch (error) {
      reply = { id: request.id ?? null, error: errorBody(error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}

export async function serveCommand(args: string[]): Promise<number> {
  const usage = 'secrets-conformance serve --module <file.ts|file.js>';
  let path: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg === '--module') path = args[++index];
    else if (arg.startsWith('--module=')) path = arg.slice('--module='.length);
    else throw new UsageError(`unexpected argument "${arg}"; usage: ${usage}`);
  }
  if (!path) throw new UsageError(`--module names the backend module to serve; usage: ${usage}`);
  // Everything but the answers goes to stderr, where the harness keeps the command's log.
  console.log = console.info = console.debug = (...items: unknown[]) => console.error(...items);
  await serve(await loadBackendModule(path));
  return 0;
}
