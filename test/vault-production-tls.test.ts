/**
 * OpenBao served the production way (containers/vault-production.ts: config file, Raft, HTTPS with
 * the run's own CA, init and unseal by us): every client trusting the run's CA gets through, and
 * each way a certificate can be wrong (another CA, expired, another host name) is a TLS failure
 * with its own error code, for Node (node-vault, undici) and for Python (hvac, Airflow's
 * VaultBackend). `verify=False` gets through, which is exactly why it is a finding.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NodeVault from 'node-vault';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../backends/errors';
import { createTlsMaterial, type TlsMaterial } from '../containers/tls-certificates';
import { ProductionVaultServer, type StartedProductionVaultServer } from '../containers/vault-production';
import { VaultAdmin } from '../containers/vault-setup/admin-client';
import { mountKvV2, writeKvV2 } from '../containers/vault-setup/kv';
import { CaTrustingVaultBackend } from './support/ca-trusting-vault-backend';
import { airflowVenvMissing, runVaultClientProbe } from './support/vault-client-probe';

let tls: TlsMaterial;
let vault: StartedProductionVaultServer;
let tlsMs: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vault-tls-'));
  const began = performance.now();
  tls = await createTlsMaterial(join(dir, 'tls'));
  tlsMs = Math.round(performance.now() - began);
  vault = await new ProductionVaultServer(tls).withLogDir(dir).start();
  const admin = new VaultAdmin({ address: vault.getAddress(), token: vault.getRootToken(), ca: vault.endpoint.caPem });
  await mountKvV2(admin, 'secret');
  await writeKvV2(admin, 'secret', 'connections/tls_db', { conn_uri: 'postgresql://tls-user:tls-pass@db.internal:5432/airflow' });
  console.info(
    `[figures] certificates ${tlsMs} ms; OpenBao ${vault.getVersion()} (${vault.endpoint.storage}, HTTPS) ready in ${vault.endpoint.startMs} ms`,
    vault.endpoint.phasesMs,
  );
}, 120_000);

afterAll(async () => {
  await vault?.stop();
});

/** Node's TLS error code of a failed node-vault call (axios keeps it on the error). */
async function nodeVaultFailure(endpoint: string, requestOptions: Record<string, unknown>): Promise<string | undefined> {
  const client = NodeVault({ endpoint, token: vault.getRootToken(), requestOptions: { timeout: 5_000, ...requestOptions } });
  try {
    await client.health();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

async function undiciFailure(url: string, ca?: string): Promise<{ message: string; causeCode: string | undefined }> {
  const dispatcher = new Agent(ca ? { connect: { ca } } : {});
  try {
    await undiciFetch(`${url}/v1/sys/health`, { dispatcher });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { message: (error as Error).message, causeCode: cause?.code };
  } finally {
    await dispatcher.close();
  }
  return { message: 'no error', causeCode: undefined };
}

describe('Node clients', () => {
  it('node-vault trusting the run CA reads a KV v2 secret, at 127.0.0.1 and at localhost (both SANs)', async () => {
    for (const endpoint of [vault.getAddress(), vault.getAddress().replace('127.0.0.1', 'localhost')]) {
      const client = NodeVault({ endpoint, token: vault.getRootToken(), requestOptions: { ca: tls.ca.certificatePem, timeout: 5_000 } });
      const answer = (await client.read('secret/data/connections/tls_db')) as { data: { data: { conn_uri: string } } };
      expect(answer.data.data.conn_uri).toContain('db.internal');
    }
  });

  it('undici trusting the run CA gets the health answer of an initialised, unsealed, active node', async () => {
    const dispatcher = new Agent({ connect: { ca: tls.ca.certificatePem } });
    try {
      const response = await undiciFetch(`${vault.getAddress()}/v1/sys/health`, { dispatcher });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ initialized: true, sealed: false, standby: false, version: '2.7.2' });
    } finally {
      await dispatcher.close();
    }
  });

  it('no CA given (the system store): UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
    expect(await nodeVaultFailure(vault.getAddress(), {})).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await undiciFailure(vault.getAddress())).toEqual({ message: 'fetch failed', causeCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('an unrelated CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
    expect(await nodeVaultFailure(vault.getAddress(), { ca: tls.otherCa.certificatePem })).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(await undiciFailure(vault.getAddress(), tls.otherCa.certificatePem)).toEqual({
      message: 'fetch failed',
      causeCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('an expired certificate of the right CA: CERT_HAS_EXPIRED', async () => {
    expect(await nodeVaultFailure(vault.endpoint.expiredCertificateAddress, { ca: tls.ca.certificatePem })).toBe('CERT_HAS_EXPIRED');
    expect(await undiciFailure(vault.endpoint.expiredCertificateAddress, tls.ca.certificatePem)).toEqual({
      message: 'fetch failed',
      causeCode: 'CERT_HAS_EXPIRED',
    });
  });

  it('a certificate for another host name: ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    expect(await nodeVaultFailure(vault.endpoint.wrongHostAddress, { ca: tls.ca.certificatePem })).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(await undiciFailure(vault.endpoint.wrongHostAddress, tls.ca.certificatePem)).toEqual({
      message: 'fetch failed',
      causeCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('strictSSL: false (verify=False) gets through every one of them: nothing is checked', async () => {
    for (const endpoint of [vault.getAddress(), vault.endpoint.expiredCertificateAddress, vault.endpoint.wrongHostAddress]) {
      expect(await nodeVaultFailure(endpoint, { strictSSL: false })).toBeUndefined();
    }
  });
});

describe('our VaultBackend over HTTPS (node-vault requestOptions)', () => {
  const kwargs = () => ({ url: vault.getAddress(), token: vault.getRootToken() });

  it('with the run CA it reads the connection', async () => {
    const backend = new CaTrustingVaultBackend(kwargs(), { ca: tls.ca.certificatePem });
    expect(await backend.getConnValue('tls_db')).toContain('db.internal');
  });

  it('with an unrelated CA, and at the expired and wrong-host listeners, every lookup is an UnavailableError naming the TLS code, never null', async () => {
    const cases = [
      { url: vault.getAddress(), ca: tls.otherCa.certificatePem, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
      { url: vault.endpoint.expiredCertificateAddress, ca: tls.ca.certificatePem, code: 'CERT_HAS_EXPIRED' },
      { url: vault.endpoint.wrongHostAddress, ca: tls.ca.certificatePem, code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    ];
    for (const { url, ca, code } of cases) {
      const backend = new CaTrustingVaultBackend({ url, token: vault.getRootToken() }, { ca });
      const failure = await backend.getConnValue('tls_db').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(UnavailableError);
      expect((failure as UnavailableError).message).toContain(code);
      expect((failure as UnavailableError).oneLine()).not.toContain(vault.getRootToken());
      // The provider's urllib3 Retry counts a certificate failure as an "other" error: 1 + 3 attempts.
      expect(backend.requestsSent).toBe(4);
    }
  });
});

describe.skipIf(airflowVenvMissing())('hvac and Airflow VaultBackend (Airflow venv)', () => {
  const hvacHealth = (url: string, verify: string | boolean) => runVaultClientProbe({ client: 'hvac', url, verify, action: { kind: 'health' } });

  it('hvac verify=<CA file> works; every bad certificate is requests.exceptions.SSLError with the OpenSSL reason', async () => {
    const good = await hvacHealth(vault.getAddress(), tls.ca.certificateFile);
    expect(good).toMatchObject({ ok: true, value: { health: { initialized: true, sealed: false } } });

    const cases = [
      { url: vault.getAddress(), verify: tls.otherCa.certificateFile, reason: 'unable to get local issuer certificate' },
      { url: vault.endpoint.expiredCertificateAddress, verify: tls.ca.certificateFile, reason: 'certificate has expired' },
      {
        url: vault.endpoint.wrongHostAddress,
        verify: tls.ca.certificateFile,
        reason: "IP address mismatch, certificate is not valid for '127.0.0.1'",
      },
      // verify=True: certifi's bundle, which does not hold the run's CA.
      { url: vault.getAddress(), verify: true, reason: 'unable to get local issuer certificate' },
    ];
    for (const { url, verify, reason } of cases) {
      const answer = await hvacHealth(url, verify);
      expect(answer.ok).toBe(false);
      if (answer.ok) continue;
      expect(answer.error.type).toBe('requests.exceptions.SSLError');
      expect(answer.error.root_type).toBe('ssl.SSLCertVerificationError');
      expect(answer.error.message).toContain('CERTIFICATE_VERIFY_FAILED');
      expect(answer.error.message).toContain(reason);
    }
  }, 120_000);

  it('hvac verify=False gets through the expired and the wrong-host certificates', async () => {
    for (const url of [vault.endpoint.expiredCertificateAddress, vault.endpoint.wrongHostAddress]) {
      expect(await hvacHealth(url, false)).toMatchObject({ ok: true });
    }
  }, 120_000);

  it('Airflow VaultBackend passes verify through to hvac.Client: a CA file works, an unrelated CA raises SSLError', async () => {
    const kwargs = { url: vault.getAddress(), token: vault.getRootToken(), mount_point: 'secret', kv_engine_version: 2 };
    const lookup = { kind: 'connection', key: 'tls_db' };
    const trusted = await runVaultClientProbe({ client: 'airflow', kwargs: { ...kwargs, verify: tls.ca.certificateFile }, lookup });
    expect(trusted).toMatchObject({ ok: true, value: { login: 'tls-user', host: 'db.internal' } });
    const began = performance.now();
    const untrusted = await runVaultClientProbe({ client: 'airflow', kwargs: { ...kwargs, verify: tls.otherCa.certificateFile }, lookup });
    expect(untrusted).toMatchObject({ ok: false, error: { type: 'requests.exceptions.SSLError' } });
    // The provider's Retry(total=3) retries a certificate failure too: the message says so.
    expect(untrusted.ok ? '' : untrusted.error.message).toContain('Max retries exceeded');
    console.info(
      `[figures] Airflow VaultBackend with an unrelated CA failed after ${Math.round(performance.now() - began)} ms (interpreter start included)`,
    );
    // The provider has no TLS kwarg of its own: `verify` reaches requests' Session (the provider
    // sets session.verify from it) and hvac.Client through **kwargs. Without it, requests' own
    // REQUESTS_CA_BUNDLE applies, since verify stays True and the session trusts the environment.
    const fromEnvironment = await runVaultClientProbe({ client: 'airflow', kwargs, lookup }, { REQUESTS_CA_BUNDLE: tls.ca.certificateFile });
    expect(fromEnvironment).toMatchObject({ ok: true, value: { login: 'tls-user' } });
  }, 120_000);
});
