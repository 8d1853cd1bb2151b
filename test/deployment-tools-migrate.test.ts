/**
 * `migrate` end to end: hundreds of connections and variables from a metastore made by Airflow itself
 * into Vault, Secrets Manager and Parameter Store, verified through Airflow, and a PostgreSQL metastore.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres, type StartedPostgres } from './support/postgres';
import { useDeploymentWorld, type Deployment } from './support/deployment-world';

const SM_CLASS = 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend';
const world = useDeploymentWorld();
const { marker, venvMissing, deployment, vaultSecrets, metastoreWith, cli, expectNoValue, tokenWith } = world;

describe.skipIf(venvMissing && process.env.CI !== 'true')('migrate', () => {
  const count = 500;
  let big: Deployment;

  beforeAll(async () => {
    if (venvMissing) return;
    const connections: Record<string, unknown> = {};
    const variables: Record<string, string> = {};
    for (let i = 0; i < count; i += 1) {
      const id = `${i % 50 === 0 ? 'zz' : 'c'}${String(i).padStart(3, '0')}`;
      connections[id] = {
        conn_type: i % 2 ? 'postgres' : 'http',
        host: `host${i}.example`,
        login: `user${i}`,
        password: `p@ss/${marker}:${i}`,
        port: 5000 + i,
        schema: `db${i}`,
        extra: JSON.stringify({ index: i, nested: { token: `${marker}${i}` } }),
        description: `connection ${i}`,
      };
      variables[`var_${i}`] = i % 7 ? `value ${marker} ${i}` : JSON.stringify({ i, marker });
    }
    big = await metastoreWith(connections, variables);
  }, 600_000);

  it(`${count} connections and ${count} variables into Vault: verified through Airflow, resumable, then idempotent`, async () => {
    await world.admin.write('sys/mounts/migrated', { type: 'kv', options: { version: '2' } });
    await world.admin.write('sys/policies/acl/writer-partial', {
      policy:
        'path "migrated/*" { capabilities = ["create", "read", "update", "list"] }\npath "migrated/data/connections/zz*" { capabilities = ["deny"] }',
    });
    const partialToken = await tokenWith('writer-partial');
    const destination = (token: string) => `--kwargs=${JSON.stringify({ url: world.vaultAddress, token, mount_point: 'migrated' })}`;
    const report = join(big.home, 'migrate-report.json');

    const dry = await cli(['migrate', '--to=vault', destination(world.rootToken), '--dry-run'], big);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would move ${2 * count}`);
    // A mount with nothing in it answers LIST with 404.
    await expect(world.admin.list('migrated/metadata/')).rejects.toThrow(/404/);

    const partial = await cli(['migrate', '--to=vault', destination(partialToken)], big);
    expectNoValue(partial);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(new RegExp(`moved ${2 * count - 10}, unchanged 0, differs 0, skipped 0, failed 10; verified ${2 * count - 10}`));
    expect(partial.stderr).toContain('run the same command again to resume');

    const resumed = await cli(['migrate', '--to=vault', destination(world.rootToken), `--report=${report}`], big);
    expectNoValue(resumed);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      new RegExp(`moved 10, unchanged ${2 * count - 10}, differs 0, skipped 0, failed 0; verified ${2 * count} of ${2 * count}`),
    );
    const figures = JSON.parse(readFileSync(report, 'utf8')) as { totalMs: number; verified: number };
    expect(readFileSync(report, 'utf8')).not.toContain(marker);

    const again = await cli(['migrate', '--to=vault', destination(world.rootToken)], big);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do: the store already holds every item');

    // Read through the deployment's own Airflow, as its scheduler would.
    const reader = deployment(vaultSecrets({ token: world.rootToken, mount_point: 'migrated' }), big.db);
    const explained = await cli(['explain', 'c001'], reader);
    expect(explained.stdout).toMatch(/VaultBackend .*GET \/v1\/migrated\/data\/connections\/c001 .*found ◀/);
    process.stdout.write(
      `migrate: ${2 * count} items into Vault in ${(figures.totalMs / 1000).toFixed(1)} s, ${figures.verified} verified through VaultBackend\n`,
    );
  }, 900_000);

  it('into Secrets Manager and Parameter Store, in the layout each provider class reads', async () => {
    const small = deployment('backend =');
    const aws = {
      endpoint_url: world.moto.endpoint,
      region_name: world.moto.region,
      aws_access_key_id: world.moto.accessKeyId,
      aws_secret_access_key: world.moto.secretAccessKey,
    };
    const sm = await cli(
      ['migrate', '--to=aws-sm', `--kwargs=${JSON.stringify({ ...aws, connections_prefix: 'mig/connections', variables_prefix: 'mig/variables' })}`],
      small,
    );
    expectNoValue(sm);
    expect(sm.code).toBe(0);
    expect(sm.stdout).toContain('moved 2, unchanged 0');
    expect(sm.stdout).toContain('verified 2 of 2');
    expect(sm.stdout).toContain('cannot read back description');
    const ssm = await cli(['migrate', '--to=aws-ssm', `--kwargs=${JSON.stringify(aws)}`], small);
    expectNoValue(ssm);
    expect(ssm.code).toBe(0);
    expect(ssm.stdout).toContain('verified 2 of 2');
    const reader = deployment(`backend = ${SM_CLASS}\nbackend_kwargs = ${JSON.stringify({ ...aws, connections_prefix: 'mig/connections' })}`);
    const explained = await cli(['explain', 'meta_db'], reader);
    expect(explained.stdout).toMatch(/SecretsManagerBackend .*GetSecretValue SecretId=mig\/connections\/meta_db .*found ◀/);
  }, 400_000);
});

describe.skipIf(venvMissing || postgresBinDir() === null)('a PostgreSQL metastore', () => {
  let postgres: StartedPostgres | undefined;
  let pg: Deployment;

  beforeAll(async () => {
    postgres = await startPostgres(mkdtempSync(join(tmpdir(), 'deployment-tools-pg-')));
    await postgres.createDatabase('airflow');
    pg = await metastoreWith(
      {
        pg_db: {
          conn_type: 'postgres',
          host: 'pg.example',
          login: 'pg',
          password: `pg-${marker}`,
          port: 5432,
          schema: 'app',
          description: 'in postgres',
        },
      },
      { pg_var: `pg-value-${marker}` },
      postgres.url('airflow'),
    );
  }, 300_000);

  afterAll(async () => {
    await postgres?.stop();
  });

  it('explain reads it through Airflow, migrate copies it into Vault and verifies it', async () => {
    const explained = await cli(['explain', 'pg_db'], pg);
    expectNoValue(explained);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(
      /MetastoreBackend +connection where conn_id = 'pg_db' \(postgresql\+psycopg2:\/\/airflow@127\.0\.0\.1:\d+\/airflow\) +found ◀/,
    );
    await world.admin.write('sys/mounts/pgmig', { type: 'kv', options: { version: '2' } });
    const migrated = await cli(
      ['migrate', '--to=vault', `--kwargs=${JSON.stringify({ url: world.vaultAddress, token: world.rootToken, mount_point: 'pgmig' })}`],
      pg,
    );
    expectNoValue(migrated);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('source: 1 connections, 1 variables');
    expect(migrated.stdout).toContain('verified 2 of 2 through Airflow');
  }, 400_000);

  it('a database that does not exist: one typed line, exit 1', async () => {
    const missing = deployment('backend =', null, postgres?.url('no_such_database'));
    const result = await cli(
      ['migrate', '--to=vault', `--kwargs=${JSON.stringify({ url: world.vaultAddress, token: world.rootToken, mount_point: 'pgmig' })}`],
      missing,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^ConfigurationError: the metastore: .*database "no_such_database" does not exist/);
  }, 400_000);
});
