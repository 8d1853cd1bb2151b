/**
 * The backend command protocol (bridge/PROTOCOL.md) against the real Airflow bridge and Airflow
 * 3.3.2: every op, not found, each error kind (from real servers where this machine can produce
 * the failure: a Vault with a wrong token or a rate-limit quota, a closed port, a server that never
 * answers), and secret-free messages.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { CommandBackend } from '../targets/command-backend';
import { commandProcess, stopCommandProcesses, type CommandProcess } from '../targets/command-process';
import {
  ConfigurationError,
  ConnectionFormatError,
  FileParseError,
  ForbiddenError,
  NotUniqueError,
  SecretsError,
  ThrottledError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../model/errors';
import { freeLoopbackPort } from '../containers/native-process';
import { nativeVaultExecutable, VaultServer, type StartedVaultServer } from '../containers/vault';
import { expectNoSecretIn, expectRejects } from '../suites/expect-secret';
import { ENVIRONMENT_VARIABLES_BACKEND_CLASS as ENVIRONMENT_VARIABLES_BACKEND } from '../backends/env/airflow-twin';
import { LOCAL_FILESYSTEM_BACKEND_CLASS as LOCAL_FILESYSTEM_BACKEND } from '../backends/local/airflow-twin';
import { airflowBridgeCommand, airflowPython, installedAirflowVersions } from '../targets/airflow-bridge';
import { requireAirflow, scratchWriter } from './support/bridge-harness';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bridge-protocol-'));
const VAULT_BACKEND = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';
const secret = (hint: string) => `${hint}${randomBytes(6).toString('hex')}`;
const writeScratch = scratchWriter(scratch);

/** The bridge, mirroring this process's AIRFLOW_CONN_/AIRFLOW_VAR_ entries, with extra arguments. */
function bridge(extraArgs: string[] = [], mirror = false): CommandProcess {
  return commandProcess(airflowBridgeCommand(extraArgs), {
    cwd: repoRoot,
    keepWarm: true,
    logFile: join(scratch, 'bridge.log'),
    ...(mirror ? { mirrorPrefixes: ['AIRFLOW_CONN_', 'AIRFLOW_VAR_'] } : {}),
  });
}

function airflowBackend(backend: string, kwargs: Record<string, unknown> = {}, parser: 'sdk' | 'core' = 'sdk', mirror = false) {
  return new CommandBackend({ command: bridge([], mirror), backend, kwargs, parser });
}

afterAll(async () => {
  await stopCommandProcesses();
});

describe('the Airflow bridge answers every op', () => {
  it('hello names the protocol, the implementation and the pinned versions', async (context) => {
    requireAirflow(context);
    const hello = await bridge().hello();
    expect(hello.protocol).toBe(1);
    expect(hello.implementation).toBe('airflow-bridge');
    expect(hello.versions?.airflow).toBe('3.3.2');
    expect(hello.versions?.['apache-airflow-providers-hashicorp']).toBe('4.8.4');
    expect(hello.ops).toEqual(expect.arrayContaining(['open', 'get_conn_value', 'get_connection', 'get_variable', 'get_config', 'close', 'env']));
    // Read without Python from the venv's dist-info folders: the same versions the bridge reports.
    const installed = installedAirflowVersions();
    expect(installed['apache-airflow']).toBe(hello.versions?.airflow);
    expect(installed['apache-airflow-providers-amazon']).toBe(hello.versions?.['apache-airflow-providers-amazon']);
  });

  it('serves EnvironmentVariablesBackend: values, connection fields, null for missing, the env op', async (context) => {
    requireAirflow(context);
    const password = secret('pw');
    const names = { conn: 'AIRFLOW_CONN_BRIDGE_TEST_DB', variable: 'AIRFLOW_VAR_BRIDGE_TEST_VAR', empty: 'AIRFLOW_VAR_BRIDGE_TEST_EMPTY' };
    process.env[names.conn] = `postgresql://svc:${encodeURIComponent(password)}@DB.example.com:5432/main?sslmode=require`;
    process.env[names.variable] = 'line one\nline two';
    process.env[names.empty] = '';
    try {
      const backend = airflowBackend(ENVIRONMENT_VARIABLES_BACKEND, {}, 'sdk', true);
      expect(await backend.getVariable('bridge_test_var')).toBe('line one\nline two');
      expect(await backend.getVariable('bridge_test_empty')).toBe('');
      expect(await backend.getVariable('bridge_test_missing')).toBeNull();
      expect(await backend.getConnValue('bridge_test_db')).toBe(process.env[names.conn]);
      const connection = await backend.getConnection('bridge_test_db');
      expect(connection?.toView()).toEqual({
        conn_type: 'postgres',
        host: 'db.example.com',
        login: 'svc',
        password,
        schema: 'main',
        port: 5432,
        extra: { sslmode: 'require' },
      });
      expect(await backend.getConnection('bridge_test_missing')).toBeNull();
      expect(await backend.getConfig('anything')).toBeNull();
      // A change in this process is seen by the bridge at the next lookup.
      delete process.env[names.variable];
      expect(await backend.getVariable('bridge_test_var')).toBeNull();
      expect(backend.lastRoundTrip?.op).toBe('get_variable');
      expect(backend.lastRoundTrip?.backendMs).not.toBeNull();
      expect(backend.stats.requests).toBeGreaterThan(5);
      await backend.close();
      await expectRejects(backend.getVariable('bridge_test_var'), ConfigurationError, 'a closed backend');
    } finally {
      for (const name of Object.values(names)) delete process.env[name];
    }
  });

  it('serves LocalFilesystemBackend with the core Connection: get_connection, get_variable, get_config', async (context) => {
    requireAirflow(context);
    const password = secret('pw');
    const kwargs = {
      connections_file_path: writeScratch(
        'conns.json',
        JSON.stringify({ fields: { conn_type: 'postgresql', host: 'h', password, port: 5432, extra: { a: 1 } }, uri: 'mysql://u@h/s?x=1' }),
      ),
      variables_file_path: writeScratch('vars.json', JSON.stringify({ key: 'value' })),
      configs_file_path: writeScratch('configs.json', JSON.stringify({ sql_alchemy_conn: 'sqlite://' })),
    };
    const backend = airflowBackend(LOCAL_FILESYSTEM_BACKEND, kwargs, 'core');
    const fields = await backend.getConnection('fields');
    expect(fields?.toView()).toMatchObject({ conn_type: 'postgresql', host: 'h', password, port: 5432, extra: { a: 1 } });
    // The core model types query values as JSON: "1" becomes 1.
    expect((await backend.getConnection('uri'))?.extraDejson).toEqual({ x: 1 });
    expect(await backend.getVariable('key')).toBe('value');
    expect(await backend.getConfig('sql_alchemy_conn')).toBe('sqlite://');
    expect(await backend.getConfig('missing')).toBeNull();
    // LocalFilesystemBackend has no get_conn_value: Airflow raises NotImplementedError.
    await expectRejects(backend.getConnValue('uri'), ConfigurationError, 'get_conn_value of LocalFilesystemBackend');
  });

  it("Airflow's log output goes to the log file, never into the answers", async (context) => {
    requireAirflow(context);
    const logFile = join(scratch, 'own-bridge.log');
    const command = commandProcess(airflowBridgeCommand(['--kwarg', `variables_file_path=${writeScratch('log.json', '{"k": "v"}')}`]), { logFile });
    const backend = new CommandBackend({ command, backend: LOCAL_FILESYSTEM_BACKEND, parser: 'core' });
    // A core Connection with a password makes Airflow warn (structlog writes to stdout) about the empty Fernet key.
    const connections = writeScratch('log-conns.json', '{"c": "mysql://u:pass@h/s"}');
    const withConnections = new CommandBackend({
      command,
      backend: LOCAL_FILESYSTEM_BACKEND,
      parser: 'core',
      kwargs: { connections_file_path: connections },
    });
    expect(await backend.getVariable('k')).toBe('v');
    expect((await withConnections.getConnection('c'))?.host).toBe('h');
    await command.stop();
    expect(readFileSync(logFile, 'utf8')).toContain('empty cryptography key');
  });

  it('one process serves many backends, each with its own kwargs and handle', async (context) => {
    requireAirflow(context);
    const first = airflowBackend(LOCAL_FILESYSTEM_BACKEND, { variables_file_path: writeScratch('one.json', '{"k": "one"}') }, 'core');
    const second = airflowBackend(LOCAL_FILESYSTEM_BACKEND, { variables_file_path: writeScratch('two.json', '{"k": "two"}') }, 'core');
    expect(await first.getVariable('k')).toBe('one');
    expect(await second.getVariable('k')).toBe('two');
    const answer = await bridge().request('close', { handle: 'h999' });
    expect(answer.error?.kind).toBe('configuration');
  });
});

describe('errors come back typed and secret-free', () => {
  it('malformed: a connection Airflow cannot parse is a ConnectionFormatError without the value', async (context) => {
    requireAirflow(context);
    const password = secret('pw');
    process.env.AIRFLOW_CONN_BRIDGE_BAD = `postgres://svc:${password}@db.example.com://a://b`;
    process.env.AIRFLOW_CONN_BRIDGE_BADPORT = JSON.stringify({ conn_type: 'http', password, port: `80${password}` });
    try {
      const backend = airflowBackend(ENVIRONMENT_VARIABLES_BACKEND, {}, 'sdk', true);
      const error = await expectRejects(backend.getConnection('bridge_bad'), ConnectionFormatError, 'invalid URI', [password]);
      expect(error.message).toMatch(/Invalid connection string/);
      expect(error.message).toContain('airflow.sdk.exceptions.AirflowException');
      const portError = await expectRejects(backend.getConnection('bridge_badport'), ConnectionFormatError, 'bad JSON port', [password]);
      expect(portError.message).toMatch(/port/);
    } finally {
      delete process.env.AIRFLOW_CONN_BRIDGE_BAD;
      delete process.env.AIRFLOW_CONN_BRIDGE_BADPORT;
    }
  });

  it('malformed: file parse errors keep their lines; duplicates are NotUniqueError', async (context) => {
    requireAirflow(context);
    const password = secret('pw');
    const json = airflowBackend(
      LOCAL_FILESYSTEM_BACKEND,
      { variables_file_path: writeScratch('bad.json', `{\n  "a": "${password}",\n  oops\n}\n`) },
      'core',
    );
    const parse = await expectRejects(json.getVariable('a'), FileParseError, 'bad JSON file', [password]);
    expect(parse.errors).toEqual([{ line: 3, message: 'Expecting property name enclosed in double quotes' }]);
    const yaml = airflowBackend(
      LOCAL_FILESYSTEM_BACKEND,
      { variables_file_path: writeScratch('bad.yaml', `a: "${password}"\nb: : ${password}\n`) },
      'core',
    );
    const yamlError = await expectRejects(yaml.getVariable('a'), FileParseError, 'bad YAML file', [password]);
    expect(yamlError.errors[0]?.line).toBe(1);
    const env = airflowBackend(LOCAL_FILESYSTEM_BACKEND, { variables_file_path: writeScratch('dup.env', `a=${password}\na=${password}x\n`) }, 'core');
    await expectRejects(env.getVariable('a'), NotUniqueError, 'duplicate key', [password]);
  });

  it('configuration: an unknown class, wrong kwargs, an unsupported file type', async (context) => {
    requireAirflow(context);
    const unknown = airflowBackend('no_such_module.NoBackend');
    expect((await expectRejects(unknown.getVariable('x'), ConfigurationError, 'unknown class')).message).toMatch(/cannot import backend/);
    const kwargs = airflowBackend(ENVIRONMENT_VARIABLES_BACKEND, { connections_prefix: 'x' });
    expect((await expectRejects(kwargs.getVariable('x'), ConfigurationError, 'bad kwargs')).message).toMatch(/takes no arguments/);
    const fileType = airflowBackend(LOCAL_FILESYSTEM_BACKEND, { variables_file_path: writeScratch('vars.txt', 'a=b') }, 'core');
    await expectRejects(fileType.getVariable('a'), ConfigurationError, 'unsupported extension');
  });

  it('classifies client-library failures by type and code, and withholds credential kwargs', async (context) => {
    requireAirflow(context);
    const password = secret('pw');
    const command = bridge(['--sys-path', join(repoRoot, 'test', 'fixtures')]);
    const backend = new CommandBackend({ command, backend: 'raising_backends.RaisingBackend', kwargs: { password } });
    const expected: Array<[string, abstract new (...args: never[]) => SecretsError]> = [
      ['hvac-forbidden', ForbiddenError],
      ['aws-access-denied', ForbiddenError],
      ['aws-bad-keys', UnauthorizedError],
      ['aws-plain-403', ForbiddenError],
      ['aws-throttled', ThrottledError],
      ['aws-5xx', UnavailableError],
    ];
    for (const [key, errorClass] of expected) await expectRejects(backend.getVariable(key), errorClass, key, [password]);
    // A crash whose message quotes a credential: withheld from the message, and the backend's leak.
    const crash = await backend.getVariable('crash').catch((error: unknown) => error);
    expect(crash).toBeInstanceOf(UnavailableError);
    expect((crash as UnavailableError).message).toMatch(/unclassified: unknown/);
    expect((crash as UnavailableError).message).toContain('RuntimeError');
    expect((crash as UnavailableError).message).not.toContain(password);
    expect((crash as UnavailableError).credentialWithheld).toBe(true);
    expect(() => expectNoSecretIn(crash, [password], 'a crash quoting a credential')).toThrow(/carried a credential/);
    // An unclassified failure that quotes a URI with a credential kwarg in it: withheld, host kept, reported.
    const uri = await backend.getConnValue('x').catch((error: unknown) => error);
    expect(uri).toBeInstanceOf(UnavailableError);
    expect((uri as UnavailableError).message).toContain('@db.example.com/main');
    expect((uri as UnavailableError).message).not.toContain(password);
  });
});

describe('errors from real servers', () => {
  let vault: StartedVaultServer | undefined;
  let hanging: Server | undefined;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    if (!existsSync(nativeVaultExecutable) || !existsSync(airflowPython())) return;
    vault = await new VaultServer().withProvisioning('native').withLogDir(join(scratch, 'vault')).start();
    const headers = { 'X-Vault-Token': vault.getRootToken(), 'content-type': 'application/json' };
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${vault!.getAddress()}/v1/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`vault ${path}: HTTP ${response.status}`);
    };
    await admin('sys/mounts/throttled', { type: 'kv', options: { version: '2' } });
    // One read a minute on that mount: the second read is refused with HTTP 429, whatever the timing.
    await admin('sys/quotas/rate-limit/asc-bridge-test', { rate: 1, interval: '60s', path: 'throttled/' });
    hanging = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => hanging!.listen(0, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (hanging ? hanging.close(() => resolve()) : resolve()));
    await vault?.stop();
  });

  function requireVault(context: TestContext): StartedVaultServer {
    requireAirflow(context);
    if (vault) return vault;
    const note = `not run: bao is not installed at ${nativeVaultExecutable}; run npm run servers:install`;
    if (process.env.CI === 'true') throw new Error(note);
    return context.skip(note);
  }

  it('unauthorized: VaultBackend with a wrong token (Airflow re-authenticates once, then gives up)', async (context) => {
    const server = requireVault(context);
    const token = secret('token');
    const backend = airflowBackend(VAULT_BACKEND, { url: server.getAddress(), token });
    const error = await expectRejects(backend.getVariable('anything'), UnauthorizedError, 'wrong token', [token]);
    expect(error.message).toContain('hvac.exceptions.VaultError');
  });

  it('throttled: VaultBackend past a rate-limit quota', async (context) => {
    const server = requireVault(context);
    const backend = airflowBackend(VAULT_BACKEND, { url: server.getAddress(), token: server.getRootToken(), mount_point: 'throttled' });
    expect(await backend.getVariable('first')).toBeNull();
    await expectRejects(backend.getVariable('second'), ThrottledError, 'a read past the quota', [server.getRootToken()]);
  });

  it('unavailable: VaultBackend aimed at a closed port', async (context) => {
    requireVault(context);
    const port = await freeLoopbackPort();
    const backend = airflowBackend(VAULT_BACKEND, { url: `http://127.0.0.1:${port}`, token: secret('token') });
    await expectRejects(backend.getVariable('x'), UnavailableError, 'a closed port');
  });

  it('timeout: VaultBackend against a server that never answers, with hvac timeout=0.3', async (context) => {
    requireVault(context);
    const address = hanging!.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const backend = airflowBackend(VAULT_BACKEND, { url: `http://127.0.0.1:${port}`, token: secret('token'), timeout: 0.3 });
    await expectRejects(backend.getVariable('x'), TimeoutError, 'a server that never answers');
  });
});
