/** How a target is described on its certificate: what it declares, redacted, and what it could not say. */
import { describe, expect, it } from 'vitest';
import { describeTarget, REDACTED } from '../reports/target-description';
import { CANARY, environment, target } from './support/certificate-sample';

describe('describing a target for the certificate', () => {
  it('redacts kwargs by secret-looking name, nested objects included, and keeps the rest', () => {
    const described = describeTarget(
      target('vault', {
        describe: () => ({
          backendClass: 'airflow.providers.hashicorp.secrets.vault.VaultBackend',
          origin: 'airflow',
          versions: { 'apache-airflow-providers-hashicorp': '4.8.4' },
          kwargs: {
            url: 'http://127.0.0.1:8200',
            mount_point: 'secret',
            kv_engine_version: 2,
            token: 'hvs.rootish',
            Password: 'hunter2',
            aws_secret_access_key: 'AKIAsecret',
            client_credentials: { id: 'x', value: 'y' },
            session_kwargs: { region_name: 'eu-west-1', aws_access_key_id: 'AKIAX' },
            role_id: 'role-123',
          },
        }),
      }),
      environment,
      CANARY,
    );
    expect(described.kwargs).toEqual({
      url: 'http://127.0.0.1:8200',
      mount_point: 'secret',
      kv_engine_version: 2,
      token: REDACTED.byName,
      Password: REDACTED.byName,
      aws_secret_access_key: REDACTED.byName,
      client_credentials: REDACTED.byName,
      session_kwargs: REDACTED.byName,
      role_id: REDACTED.byName,
    });
    expect(JSON.stringify(described)).not.toMatch(/hvs\.rootish|hunter2|AKIA|role-123/);
  });

  it("redacts any value carrying the run's canary, in any case and at any depth, and URLs with a password", () => {
    const described = describeTarget(
      target('custom', {
        describe: () => ({
          backendClass: 'my.Backend',
          origin: 'custom',
          versions: {},
          kwargs: {
            prefix: `conn-${CANARY.toUpperCase()}`,
            paths: ['/ok', `/x/${CANARY}`],
            extra: { nested: { deeper: CANARY } },
            endpoint: 'postgres://user:pa55@db:5432/x',
            plain_url: 'http://127.0.0.1:4566',
          },
          notes: [`seeded ${CANARY} once`],
        }),
      }),
      environment,
      CANARY,
    );
    expect(described.kwargs).toEqual({
      prefix: REDACTED.byCanary,
      paths: ['/ok', REDACTED.byCanary],
      extra: { nested: { deeper: REDACTED.byCanary } },
      endpoint: REDACTED.urlPassword,
      plain_url: 'http://127.0.0.1:4566',
    });
    expect(described.notes).toEqual(['seeded [canary] once']);
    expect(JSON.stringify(described).toLowerCase()).not.toContain(CANARY);
  });

  it('says so when a target declares nothing, when describe() throws, and when the target is a mutant', () => {
    expect(describeTarget(target('bare', { backendKind: 'BareBackend' }), environment, CANARY)).toEqual({
      backendClass: 'BareBackend',
      origin: 'unknown',
      versions: {},
      notes: ['the target declares no describe(): its versions and kwargs are unknown'],
    });
    const throwing = describeTarget(
      target('broken', {
        describe: () => {
          throw new TypeError(`cannot read ${CANARY}\nsecond line`);
        },
      }),
      environment,
      CANARY,
    );
    expect(throwing.notes).toEqual(['describe() failed: TypeError: cannot read [canary]']);
    const base = target('env', {
      describe: () => ({ backendClass: 'EnvironmentVariablesBackend', origin: 'reference', versions: { 'airflow-secrets-conformance': '0.1.0' } }),
    });
    const mutant = { ...base, name: 'mutant:env-lowercase', family: 'mutant', mutantOf: 'env', breaks: 'names are lower-cased' };
    expect(describeTarget(mutant, environment, CANARY)).toMatchObject({
      origin: 'mutant',
      notes: ['a deliberately broken copy of env: names are lower-cased'],
    });
  });
});
