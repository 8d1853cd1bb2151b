/**
 * The file audit device a production-mode OpenBao declares in its configuration (the API refuses
 * to create one in OpenBao 2.x): every lookup a backend makes is there with its path, operation,
 * remote address and identity (entity, display name, policies), and no secret value is in the
 * file in plain text: values, tokens and passwords are `hmac-sha256:` digests, which
 * `sys/audit-hash/<device>` reproduces from the value.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { airflowReaderPolicy, setUpUserpass } from '../containers/vault-setup/auth-methods';
import { CaTrustingVaultBackend } from './support/ca-trusting-vault-backend';
import { kvMount, prodDbUri, startProductionVault, type ProductionVault } from './support/production-vault';
import { airflowVenvMissing, runVaultClientProbe } from './support/vault-client-probe';

interface AuditEntry {
  readonly type: 'request' | 'response';
  readonly auth?: {
    client_token?: string;
    accessor?: string;
    display_name?: string;
    policies?: string[];
    entity_id?: string;
    metadata?: Record<string, string>;
  };
  readonly request?: {
    id?: string;
    operation?: string;
    path?: string;
    remote_address?: string;
    namespace?: { id?: string };
    data?: Record<string, unknown>;
  };
  readonly response?: { data?: Record<string, unknown>; auth?: { client_token?: string } };
}

const reader = { username: 'audited-worker', password: 'audited-pw-7c2a' };
const readPath = `${kvMount}/data/connections/prod_db`;
const canaryPassword = 's3cr3t-canary-9f1c';

let production: ProductionVault;

beforeAll(async () => {
  production = await startProductionVault('vault-audit');
  await production.admin.writePolicy('airflow-reader', airflowReaderPolicy(kvMount));
  await setUpUserpass(production.admin, [{ ...reader, policies: ['airflow-reader'] }]);
}, 120_000);

afterAll(async () => {
  await production?.vault.stop();
});

function auditEntries(): AuditEntry[] {
  return readFileSync(production.vault.endpoint.auditLogFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEntry);
}

function entriesFor(path: string, displayName: string): AuditEntry[] {
  return auditEntries().filter((entry) => entry.request?.path === path && entry.auth?.display_name === displayName);
}

async function auditHash(input: string): Promise<string> {
  const body = await production.admin.write('sys/audit-hash/file', { input });
  return String((body.data as { hash?: unknown } | undefined)?.hash ?? body.hash);
}

describe('file audit device', () => {
  it('is the one the configuration declares, and the API cannot add another', async () => {
    const devices = await production.admin.read('sys/audit');
    expect(Object.keys((devices.data ?? devices) as object)).toContain('file/');
    const refused = await production.admin.send('PUT', 'sys/audit/second', { type: 'file', options: { file_path: `${production.dir}/second.log` } });
    expect({ status: refused.status, errors: refused.errors }).toEqual({
      status: 400,
      errors: ['cannot enable audit device via API; use declarative, config-based audit device management instead'],
    });
  });

  it("a lookup by our VaultBackend is logged with its path and the login's identity, the value HMAC'd", async () => {
    const backend = new CaTrustingVaultBackend(
      { url: production.vault.getAddress(), auth_type: 'userpass', ...reader },
      { ca: production.tls.ca.certificatePem },
    );
    expect(await backend.getConnValue('prod_db')).toBe(prodDbUri);

    const entries = entriesFor(readPath, `userpass-${reader.username}`);
    expect(entries.map((entry) => entry.type)).toEqual(['request', 'response']);
    const [request, response] = entries as [AuditEntry, AuditEntry];
    expect(request.request).toMatchObject({ operation: 'read', path: readPath, remote_address: '127.0.0.1', namespace: { id: 'root' } });
    expect(request.auth).toMatchObject({
      display_name: `userpass-${reader.username}`,
      policies: ['airflow-reader', 'default'],
      metadata: { username: reader.username },
    });
    expect(request.auth?.entity_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.auth?.client_token).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const loggedUri = (response.response?.data?.data as { conn_uri?: string } | undefined)?.conn_uri;
    expect(loggedUri).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(loggedUri).toBe(await auditHash(prodDbUri));
  });

  it("the login is logged with the password and the new token HMAC'd", async () => {
    const login = auditEntries().find((entry) => entry.type === 'response' && entry.request?.path === `auth/userpass/login/${reader.username}`);
    expect(login?.request?.data?.password).toBe(await auditHash(reader.password));
    expect(login?.response?.auth?.client_token).toMatch(/^hmac-sha256:/);
  });

  it.skipIf(airflowVenvMissing())(
    "Airflow's VaultBackend lookup is logged the same way, under the identity it logged in as",
    async () => {
      const answer = await runVaultClientProbe({
        client: 'airflow',
        kwargs: {
          url: production.vault.getAddress(),
          verify: production.tls.ca.certificateFile,
          mount_point: kvMount,
          auth_type: 'userpass',
          ...reader,
        },
        lookup: { kind: 'connection', key: 'prod_db' },
      });
      expect(answer).toMatchObject({ ok: true, value: { password: canaryPassword } });
      // Ours read once and Airflow once: two request/response pairs for the path, same identity.
      expect(entriesFor(readPath, `userpass-${reader.username}`).map((entry) => entry.type)).toEqual(['request', 'response', 'request', 'response']);
    },
    60_000,
  );

  it('no secret in plain text anywhere in the file: not the connection, not its password, not the login password, not a token', async () => {
    const text = readFileSync(production.vault.endpoint.auditLogFile, 'utf8');
    for (const secret of [prodDbUri, canaryPassword, reader.password, production.vault.getRootToken()]) {
      expect(text.includes(secret)).toBe(false);
    }
    console.info(`[figures] audit log: ${auditEntries().length} entries, ${text.length} bytes`);
  });
});
