/**
 * Vault as production runs it (spec §7.1: `verify` and `namespace` are hvac.Client kwargs the
 * provider passes through; `auth_type` ldap, userpass, aws_iam): TLS refusals as typed errors,
 * refused logins of each auth method, namespaces, the audit device and least privilege. Runs for
 * the targets on the production-mode OpenBao (`VaultStore.production`) and their Airflow twins.
 */
import { ForbiddenError, UnauthorizedError, UnavailableError } from '../../model/errors';
import type { SecretsError } from '../../model/errors';
import { expectNotFound, expectRejects, expectSecret } from '../../suites/expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from '../../suites/suite';
import type { TargetDefinition } from '../../suites/target';
import { auditEntriesSince, auditOffset, policyRules, ruleMatches, type AuditEntry } from './audit-log';
import { vaultStoreOf, type ProductionRun, type ProductionStore, type RefusalKind } from './layout';

const CLIENT_PY = 'providers/hashicorp/_internal_client/vault_client.py';

function production(ctx: CaseContext): ProductionStore {
  const store = vaultStoreOf(ctx.target)?.production;
  if (!store) throw new Error(`target ${ctx.target.name} declares vault-production but its store is not on the production server`);
  return store;
}

const run = (ctx: CaseContext): Promise<ProductionRun> => production(ctx).run(ctx.environment);

/** A TLS refusal: an UnavailableError that says it is about the certificate. */
async function expectTlsRefusal(ctx: CaseContext, kwargs: Record<string, unknown>, what: string): Promise<void> {
  const key = ctx.ids.next('tls');
  await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
  const error = await expectRejects(ctx.session.backend(kwargs).getVariable(key), UnavailableError, `variable "${key}" ${what}`);
  if (!/certificate|CERT_|TLS|SSL/i.test(error.message))
    throw new Error(`${what}: the error does not say the certificate was refused: ${error.message}`);
}

function tlsCases(): ConformanceCase[] {
  const rule = (text: string) => `§7.1 verify reaches hvac.Client (requests): ${text}; a refused certificate is an error, never None (${CLIENT_PY})`;
  return [
    {
      name: 'verify defaults to the system CAs: a private CA is not trusted without it',
      rule: rule('verify=True when not given, so a server whose CA is not in the trust store is refused'),
      needs: ['variables', 'vault-production'],
      run: (ctx) => expectTlsRefusal(ctx, { verify: undefined }, 'without verify'),
    },
    {
      name: 'a certificate signed by another CA is a TLS error, never not found',
      rule: rule('verify=<CA file> trusts that CA only'),
      needs: ['variables', 'vault-production'],
      run: async (ctx) => expectTlsRefusal(ctx, { verify: (await run(ctx)).vault.otherCaFile }, 'with verify=<an unrelated CA>'),
    },
    {
      name: 'an expired certificate is a TLS error, never not found',
      rule: rule('a certificate past its notAfter is refused'),
      needs: ['variables', 'vault-production'],
      run: async (ctx) =>
        expectTlsRefusal(ctx, { url: (await run(ctx)).vault.expiredCertificateAddress }, 'from a server with an expired certificate'),
    },
    {
      name: 'a certificate for another host name is a TLS error, never not found',
      rule: rule('the url host must be among the certificate names'),
      needs: ['variables', 'vault-production'],
      run: async (ctx) =>
        expectTlsRefusal(ctx, { url: (await run(ctx)).vault.wrongHostAddress }, 'from a server whose certificate names another host'),
    },
    {
      name: 'verify=False reads through an expired and a wrong-host certificate (a configuration finding)',
      rule: rule('verify=False checks nothing: it works, and is flagged wherever a deployment sets it'),
      needs: ['variables', 'vault-production'],
      async run(ctx) {
        const { vault } = await run(ctx);
        const key = ctx.ids.next('noverify');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        for (const url of [vault.expiredCertificateAddress, vault.wrongHostAddress]) {
          expectSecret(await ctx.session.backend({ url, verify: false }).getVariable(key), value, `variable "${key}" with verify=False at ${url}`);
        }
      },
    },
  ];
}

const REFUSAL_CASES: Readonly<Record<RefusalKind, { name: string; rule: string; error: abstract new (...args: never[]) => SecretsError }>> = {
  'unknown-user': {
    name: 'an unknown user is Unauthorized, never not found',
    rule: '§7 a refused login propagates; Vault answers 400 "invalid username or password" / "failed to bind as user" for a user it does not know',
    error: UnauthorizedError,
  },
  'other-principal': {
    name: 'a role bound to another IAM principal is Unauthorized',
    rule: '§7 a refused login propagates; Vault answers 400 "IAM Principal ... does not belong to the role"',
    error: UnauthorizedError,
  },
  'unknown-role': {
    name: 'a Kubernetes login to a role Vault does not have is Unauthorized',
    rule: '§7.1 a refused login propagates; Vault\'s kubernetes auth answers 400 "invalid role name" for kubernetes_role it does not know',
    error: UnauthorizedError,
  },
  'other-service-account': {
    name: 'a token of a service account the role is not bound to is Unauthorized',
    rule: '§7.1 a refused login propagates; the role binds service account names and namespaces, and Vault refuses a valid token of another one',
    error: UnauthorizedError,
  },
  'directory-down': {
    name: 'an LDAP outage is Unavailable, never Unauthorized nor not found',
    rule: '§2.3 an unreachable source is a backend failure the search path skips; Vault answers 400 "error connecting to host", which is no refused password',
    error: UnavailableError,
  },
};

function refusalCases(kinds: readonly RefusalKind[]): ConformanceCase[] {
  return kinds.map((kind) => ({
    name: REFUSAL_CASES[kind].name,
    rule: REFUSAL_CASES[kind].rule,
    needs: ['connections', 'vault-production'],
    async run(ctx) {
      const refusal = (await run(ctx)).refusals[kind];
      if (!refusal) throw new Error(`target ${ctx.target.name} lists the ${kind} refusal but its run has none`);
      const connId = ctx.ids.next('refused');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, { uri: `postgres://svc:${password}@db.example/main` });
      const backend = ctx.session.backend(refusal.kwargs);
      await expectRejects(backend.getConnection(connId), REFUSAL_CASES[kind].error, `connection "${connId}" (${kind})`, [
        ...refusal.credentials,
        password,
      ]);
    },
  }));
}

function namespaceCases(): ConformanceCase[] {
  const rule = (text: string) => `§7.1 namespace is passed to hvac.Client, which sends X-Vault-Namespace: ${text}`;
  return [
    {
      name: 'a secret in the child namespace is read with the namespace kwarg',
      rule: rule('reads resolve in the child namespace'),
      needs: ['variables', 'vault-production'],
      async run(ctx) {
        const key = ctx.ids.next('ns');
        const value = ctx.secrets.token('v');
        await ctx.fixtures.putVariable(key, value);
        expectSecret(await ctx.backend.getVariable(key), value, `variable "${key}" in the child namespace`);
      },
    },
    {
      name: 'the same path in the root namespace is not found',
      rule: rule('without it the root namespace answers, where the same mount holds nothing (404, None)'),
      needs: ['variables', 'vault-production'],
      async run(ctx) {
        const { rootReaderToken } = await run(ctx);
        const key = ctx.ids.next('ns');
        await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
        const inRoot = ctx.session.backend({ namespace: null, token: rootReaderToken });
        expectNotFound(await inRoot.getVariable(key), `variable "${key}" read in the root namespace`);
      },
    },
    {
      name: 'a token of the child namespace is Forbidden in the root namespace',
      rule: '§7 a token valid in one namespace has no policy in another: Vault answers 403, a permission error, never None',
      needs: ['variables', 'vault-production'],
      async run(ctx) {
        const key = ctx.ids.next('ns');
        await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
        await expectRejects(
          ctx.session.backend({ namespace: null }).getVariable(key),
          ForbiddenError,
          `variable "${key}" with the child token in root`,
        );
      },
    },
  ];
}

/** Seeds one connection, variable and config, reads each plus a missing id, and returns the audit entries of those reads. */
async function auditedLookups(ctx: CaseContext): Promise<{ entries: AuditEntry[]; ids: string[]; values: string[] }> {
  const { vault } = await run(ctx);
  const ids = [ctx.ids.next('audit'), ctx.ids.next('audit'), ctx.ids.next('audit'), ctx.ids.next('missing')] as const;
  const values = [ctx.secrets.token('pw'), ctx.secrets.token('v'), ctx.secrets.token('c')];
  await ctx.fixtures.putConnection(ids[0], { uri: `postgres://svc:${values[0]}@db.example/main` });
  await ctx.fixtures.putVariable(ids[1], values[1] as string);
  if (!ctx.fixtures.putConfig) throw new Error(`target ${ctx.target.name} declares config but cannot write it`);
  await ctx.fixtures.putConfig(ids[2], values[2] as string);
  const offset = await auditOffset(vault.auditLogFile);
  if ((await ctx.backend.getConnection(ids[0])) === null) throw new Error(`connection "${ids[0]}" was not found`);
  expectSecret(await ctx.backend.getVariable(ids[1]), values[1] as string, `variable "${ids[1]}"`);
  expectSecret(await ctx.backend.getConfig(ids[2]), values[2] as string, `config "${ids[2]}"`);
  expectNotFound(await ctx.backend.getVariable(ids[3]), `variable "${ids[3]}"`);
  return { entries: await auditEntriesSince(vault.auditLogFile, offset), ids: [...ids], values };
}

function auditCases(): ConformanceCase[] {
  return [
    {
      name: 'every lookup is in the audit log with its path and the identity that made it',
      rule: '§1.2 each get_conn_value / get_variable / get_config is one read of the store; the file audit device records each request with its path and auth identity',
      needs: ['connections', 'variables', 'config', 'vault-production'],
      async run(ctx) {
        const { policy } = await run(ctx);
        const { entries, ids } = await auditedLookups(ctx);
        const mount = vaultStoreOf(ctx.target)?.mount(ctx.environment) ?? '';
        for (const [kind, id] of [
          ['connections', ids[0]],
          ['variables', ids[1]],
          ['config', ids[2]],
          ['variables', ids[3]],
        ] as const) {
          const path = `${mount}/data/${kind}/${id}`;
          const logged = entries.find((entry) => entry.type === 'request' && entry.request?.path === path && entry.request.operation === 'read');
          if (!logged) throw new Error(`no audit entry for the read of ${path}`);
          if (!logged.auth?.display_name || !(logged.auth.entity_id || logged.auth.accessor))
            throw new Error(`the audit entry of ${path} names no identity`);
          if (!logged.auth.policies?.includes(policy))
            throw new Error(`${path} was read by ${logged.auth.display_name}, not with the granted policy ${policy}`);
        }
        ctx.record('audit entries per lookup', entries.length / 4, 'count');
      },
    },
    {
      name: 'no secret value appears in the audit log in plain text',
      rule: '§1.2 a backend returns values to Airflow only; the audit device HMACs every value, token and password it records',
      needs: ['connections', 'variables', 'config', 'vault-production'],
      async run(ctx) {
        const { entries, values } = await auditedLookups(ctx);
        const text = JSON.stringify(entries);
        for (const value of [...values, ctx.secrets.canary])
          if (text.includes(value)) throw new Error('the audit log holds a seeded value in plain text');
      },
    },
    {
      name: 'the granted policy is no wider than the paths and capabilities the backend used',
      rule: '§7.1 the backend reads <mount>/data/<connections|variables|config>/<id> only: a policy granting more paths or capabilities than those reads is wider than needed',
      needs: ['connections', 'variables', 'config', 'vault-production'],
      async run(ctx) {
        const { admin, policy } = await run(ctx);
        const { entries } = await auditedLookups(ctx);
        const mount = vaultStoreOf(ctx.target)?.mount(ctx.environment) ?? '';
        const used = entries.filter(
          (entry) => entry.type === 'request' && entry.auth?.policies?.includes(policy) && entry.request?.path?.startsWith(`${mount}/`),
        );
        const needed = new Set(used.map((entry) => `${mount}/data/${(entry.request?.path ?? '').split('/')[2]}/`));
        const answer = (await admin.read('the granted policy', `sys/policies/acl/${policy}`)) as { data?: { policy?: unknown } } | undefined;
        const rules = policyRules(String(answer?.data?.policy ?? ''));
        const wider: string[] = [];
        for (const rule of rules) {
          const prefix = rule.path.replace(/\*$/, '');
          if (![...needed].some((base) => prefix.startsWith(base))) wider.push(`path "${rule.path}" reaches beyond ${[...needed].join(', ')}`);
          const usedHere = new Set(used.filter((entry) => ruleMatches(rule, entry.request?.path ?? '')).map((entry) => entry.request?.operation));
          const unused = rule.capabilities.filter((capability) => !usedHere.has(capability));
          if (unused.length > 0) wider.push(`path "${rule.path}" grants ${unused.join(', ')}, never used`);
        }
        ctx.record('policy rules granted', rules.length, 'count');
        ctx.record('distinct paths used', new Set(used.map((entry) => entry.request?.path)).size, 'count');
        if (wider.length > 0) throw new Error(`policy ${policy} is wider than needed: ${wider.join('; ')}`);
      },
    },
  ];
}

export const vaultProductionSuite = defineSuite({
  id: 'vault-production',
  title: 'Vault in production',
  level: 'security',
  requires: 'vault-production',
  cases: (target: TargetDefinition) => {
    const store = vaultStoreOf(target)?.production;
    if (!store) return [];
    return [...(store.tlsCases ? tlsCases() : []), ...refusalCases(store.refusals), ...(store.namespaced ? namespaceCases() : []), ...auditCases()];
  },
});
