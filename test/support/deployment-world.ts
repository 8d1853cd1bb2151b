/**
 * The world the deployment tools run in, one per test file: a real Vault (OpenBao) and moto started
 * as the suites start them and seeded, a small metastore made by Airflow's own `airflow db migrate`,
 * deployments (an airflow.cfg and a metastore) made on demand, and the CLI run as a user runs it.
 * Every seeded value carries the world's marker, which must never show in any output.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import NodeVault from 'node-vault';
import { afterAll, beforeAll, expect } from 'vitest';
import { endpointOf } from '../../containers/contract';
import { motoServer, type MotoEndpoint } from '../../containers/moto';
import { startServers, type StartedServers } from '../../containers/servers';
import { vaultServer } from '../../containers/vault';
import { airflowPython } from '../../targets/airflow-bridge';
import { runCli, type CliResult } from './run-cli';

const run = promisify(execFile);
export const VAULT_CLASS = 'airflow.providers.hashicorp.secrets.vault.VaultBackend';

export interface Deployment {
  readonly home: string;
  readonly cfg: string;
  readonly db: string;
}

function cfgText(databaseUrl: string, secrets: string): string {
  return `[core]\nload_examples = False\n\n[database]\nsql_alchemy_conn = ${databaseUrl}\n\n[secrets]\n${secrets}\n`;
}

/**
 * Rows written through Airflow's ORM (`Connection(**fields)`, `Variable.set`), in one process. Airflow's
 * Connection registers each password with its secrets masker, which recompiles a pattern of every value
 * so far: n rows cost O(n^2) (`airflow connections import` of 500 takes minutes), so the fill skips it.
 */
const FILL_METASTORE = `
import json, sys
import airflow.models.connection as connection_module
connection_module.mask_secret = lambda *a, **k: None
from airflow.models.connection import Connection
from airflow.models.variable import Variable
from airflow.utils.session import create_session
data = json.load(open(sys.argv[1]))
with create_session() as session:
    for conn_id, fields in data["connections"].items():
        session.add(Connection(conn_id=conn_id, **fields))
for key, value in data["variables"].items():
    Variable.set(key, value)
`;

/**
 * Migrated metastores, one per Airflow venv (named by the hash of its pinned requirements): `airflow db
 * migrate` runs once on a machine, and every SQLite metastore of every test file starts as a copy.
 */
const TEMPLATES = fileURLToPath(new URL('../../.cache/metastore-templates/', import.meta.url));

export interface DeploymentWorld {
  readonly scratch: string;
  readonly marker: string;
  readonly venvMissing: boolean;
  /** The servers and what was seeded in them: set by the world's beforeAll, unset while the Airflow venv is missing. */
  readonly vaultAddress: string;
  readonly rootToken: string;
  readonly readerToken: string;
  readonly moto: MotoEndpoint;
  readonly admin: ReturnType<typeof NodeVault>;
  deployment(secrets: string, metastore?: string | null, databaseUrl?: string): Deployment;
  vaultSecrets(kwargs: Record<string, unknown>, extra?: string): string;
  metastoreWith(connections: Record<string, unknown>, variables: Record<string, string>, databaseUrl?: string): Promise<Deployment>;
  cli(args: string[], d: Deployment, env?: Record<string, string>): Promise<CliResult>;
  expectNoValue(result: CliResult): void;
  tokenWith(policy: string): Promise<string>;
}

/** Starts the world before the file's tests and stops it after them. */
export function useDeploymentWorld(): DeploymentWorld {
  const scratch = mkdtempSync(join(tmpdir(), 'deployment-tools-'));
  const marker = `mrk${randomBytes(6).toString('hex')}`;
  const venvMissing = !existsSync(airflowPython());
  const airflowBin = join(airflowPython(), '..', 'airflow');

  let servers: StartedServers | undefined;
  let vaultAddress = '';
  let rootToken = '';
  let readerToken = '';
  let moto: MotoEndpoint;
  let admin: ReturnType<typeof NodeVault>;
  /** A metastore with a few connections and variables, made once and copied into each deployment. */
  let smallMetastore = '';

  let deployments = 0;
  function deployment(secrets: string, metastore: string | null = smallMetastore, databaseUrl?: string): Deployment {
    deployments += 1;
    const home = join(scratch, `deployment-${deployments}`);
    mkdirSync(home, { recursive: true });
    const db = join(home, 'airflow.db');
    if (metastore) copyFileSync(metastore, db);
    const cfg = join(home, 'airflow.cfg');
    writeFileSync(cfg, cfgText(databaseUrl ?? `sqlite:///${db}`, secrets));
    return { home, cfg, db };
  }

  function vaultSecrets(kwargs: Record<string, unknown>, extra = ''): string {
    return `backend = ${VAULT_CLASS}\nbackend_kwargs = ${JSON.stringify({ url: vaultAddress, ...kwargs })}\n${extra}`;
  }

  /** Airflow's own CLI on a deployment: `airflow db migrate`, `connections import`, ... */
  async function airflow(d: Deployment, ...args: string[]): Promise<void> {
    await run(airflowBin, args, {
      env: { ...process.env, AIRFLOW_HOME: d.home, AIRFLOW_CONFIG: d.cfg, AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(d.home, 'logs') },
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  /** The migrated SQLite template of this venv, migrated here only when no earlier file or run left it. */
  async function migratedTemplate(): Promise<string> {
    const venvKey = readFileSync(join(dirname(dirname(airflowPython())), '.requirements.sha256'), 'utf8')
      .trim()
      .slice(0, 16);
    const template = join(TEMPLATES, `airflow-${venvKey}.db`);
    if (existsSync(template)) return template;
    const d = deployment('backend =', null);
    await airflow(d, 'db', 'migrate');
    mkdirSync(TEMPLATES, { recursive: true });
    // Written aside and renamed, so a file that finds the template finds it whole.
    const aside = `${template}.${process.pid}`;
    copyFileSync(d.db, aside);
    renameSync(aside, template);
    return template;
  }

  async function metastoreWith(connections: Record<string, unknown>, variables: Record<string, string>, databaseUrl?: string): Promise<Deployment> {
    // Another database (PostgreSQL) is migrated in place; a SQLite one starts as the migrated template.
    const d = deployment('backend =', databaseUrl ? null : await migratedTemplate(), databaseUrl);
    if (databaseUrl) await airflow(d, 'db', 'migrate');
    const rows = join(d.home, 'rows.json');
    writeFileSync(rows, JSON.stringify({ connections, variables }));
    await run(airflowPython(), ['-c', FILL_METASTORE, rows], {
      env: { ...process.env, AIRFLOW_HOME: d.home, AIRFLOW_CONFIG: d.cfg, AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(d.home, 'logs') },
      maxBuffer: 16 * 1024 * 1024,
    });
    rmSync(rows);
    return d;
  }

  function cli(args: string[], d: Deployment, env: Record<string, string> = {}): Promise<CliResult> {
    return runCli([...args, `--airflow-config=${d.cfg}`], { AIRFLOW_HOME: d.home, ...env }, 400_000);
  }

  function expectNoValue(result: CliResult): void {
    expect(result.stdout).not.toContain(marker);
    expect(result.stderr).not.toContain(marker);
  }

  async function tokenWith(policy: string): Promise<string> {
    const answer = (await admin.write('auth/token/create', { policies: [policy], ttl: '1h' })) as { auth: { client_token: string } };
    return answer.auth.client_token;
  }

  beforeAll(async () => {
    if (venvMissing) return;
    servers = await startServers([vaultServer, motoServer], { provisioning: 'native', logDir: join(scratch, 'servers') });
    const vault = endpointOf(servers.endpoints, vaultServer);
    const started = endpointOf(servers.endpoints, motoServer);
    if (!vault || !started) throw new Error(`servers did not start: ${JSON.stringify(servers.unavailable)}`);
    vaultAddress = vault.address;
    rootToken = vault.rootToken;
    moto = started;
    admin = NodeVault({ endpoint: vaultAddress, token: rootToken });
    await admin.write('sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
    await admin.write('sys/policies/acl/reader', {
      policy:
        'path "secret/data/connections/*" { capabilities = ["read", "list"] }\npath "secret/data/variables/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["list"] }\npath "secret/data/connections/denied*" { capabilities = ["deny"] }',
    });
    readerToken = await tokenWith('reader');
    await admin.write('secret/data/connections/my-db', { data: { conn_uri: `postgres://app:${marker}@db.example:5432/app` } });
    await admin.write('secret/data/connections/vault_db', { data: { conn_uri: `postgres://app:${marker}@db.example:5432/app?sslmode=require` } });
    await admin.write('secret/data/connections/broken', { data: { conn_uri: `postgres://app:${marker}@db.example:notaport/app` } });
    await admin.write('secret/data/connections/denied_db', { data: { conn_uri: `postgres://app:${marker}@db.example/app` } });
    await admin.write('secret/data/variables/my_db', { data: { value: `v-${marker}` } });
    const small = await metastoreWith(
      {
        meta_db: {
          conn_type: 'mysql',
          host: 'mysql.example',
          login: 'me',
          password: `pw-${marker}`,
          port: 3306,
          schema: 's',
          description: 'from the metastore',
        },
      },
      { meta_var: `value-${marker}` },
    );
    smallMetastore = small.db;
  }, 300_000);

  afterAll(async () => {
    await servers?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  return {
    scratch,
    marker,
    venvMissing,
    get vaultAddress() {
      return vaultAddress;
    },
    get rootToken() {
      return rootToken;
    },
    get readerToken() {
      return readerToken;
    },
    get moto() {
      return moto;
    },
    get admin() {
      return admin;
    },
    deployment,
    vaultSecrets,
    metastoreWith,
    cli,
    expectNoValue,
    tokenWith,
  };
}
