/**
 * Kubernetes labels: how the cncf-kubernetes provider's KubernetesSecretsBackend finds a Secret
 * and reads it (spec §7.6, checked against provider 10.25.0
 * `providers/cncf/kubernetes/secrets/kubernetes_secrets_backend.py`, which wins where they differ):
 * the label keys, the data key and base64, several matches, the namespace (given, auto-detected,
 * missing), ids that are no label values, teams, RBAC across namespaces, and Toxiproxy before the
 * API server. Where a rule says "no request", a backend that counts its requests proves it.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, ForbiddenError, InvalidNameError, TimeoutError, UnavailableError } from '../../model/errors';
import { requireEndpoint } from '../../containers/contract';
import { createProxy, toxiproxyServer } from '../../containers/toxiproxy';
import { expectNotFound, expectRejects, expectSecret } from '../../suites/expect-secret';
import { pollUntil, settleWithin } from '../../suites/measure';
import { defineSuite, type CaseContext, type ConformanceCase } from '../../suites/suite';
import { auditedSecretLists } from './audit-log';
import { KubernetesFixtures } from './fixtures';
import { DEFAULT_CONFIG_LABEL, DEFAULT_CONNECTIONS_LABEL, DEFAULT_TEAM_LABEL, DEFAULT_VARIABLES_LABEL } from './kubernetes-backend';
import type { KubernetesRunSetup } from './run-setup';
import { isKubernetesStore } from './targets';

const BACKEND_PY = 'providers/cncf/kubernetes/secrets/kubernetes_secrets_backend.py';
/** The label keys §7.6 of the spec names, which provider 10.25.0 does not read. */
const SPEC_LABELS = {
  connection: 'airflow.apache.org/connection-name',
  variable: 'airflow.apache.org/variable-name',
  config: 'airflow.apache.org/config-name',
} as const;
const STALL_MS = 5_000;
const REQUEST_TIMEOUT_SECONDS = 0.5;

async function runOf(ctx: CaseContext): Promise<KubernetesRunSetup> {
  if (!isKubernetesStore(ctx.target.store)) throw new Error(`target ${ctx.target.name} declares kubernetes-labels but has no kubernetes store`);
  return ctx.target.store.run(ctx.environment);
}

function fixturesOf(ctx: CaseContext): KubernetesFixtures {
  if (!(ctx.fixtures instanceof KubernetesFixtures))
    throw new Error(`target ${ctx.target.name} declares kubernetes-labels without kubernetes fixtures`);
  return ctx.fixtures;
}

/** A Secret name (a DNS subdomain) unique to this case. */
function secretName(ctx: CaseContext, hint: string): string {
  return `k-${createHash('sha256').update(ctx.ids.plain(hint)).digest('hex').slice(0, 16)}`;
}

/** The warnings our reference backend keeps; `null` for a backend that keeps none (Airflow's own logs them). */
function warningsOf(backend: unknown): readonly string[] | null {
  const warnings = (backend as { warnings?: unknown }).warnings;
  return Array.isArray(warnings) ? (warnings as string[]) : null;
}

function requestsOf(backend: { requestsSent?: number }): number | null {
  return typeof backend.requestsSent === 'number' ? backend.requestsSent : null;
}

function expectNoRequest(before: number | null, after: number | null, what: string): void {
  if (before !== null && after !== null && after !== before) throw new Error(`${what}: ${after - before} request(s) sent, expected none`);
}

function credentialsOf(setup: KubernetesRunSetup): string[] {
  return [setup.reader.token, setup.noList.token, setup.badToken.token, setup.server.adminToken, setup.server.nobodyToken];
}

/**
 * Waits (bounded) until the audit log holds the list of one last lookup of `marker`: the API server
 * writes its events in order, so every list sent before it is in the log then.
 */
async function auditSettled(setup: KubernetesRunSetup, marker: string): Promise<void> {
  const polled = await pollUntil(
    async () => auditedSecretLists(setup.server.auditLogFile, marker).length,
    (count) => count > 0,
    { attempts: 100, deadlineMs: 5_000, intervalMs: 50 },
  );
  if (!polled.ok) throw new Error(`the API server's audit log did not record the marker lookup within ${polled.ms} ms`);
}

const cases: readonly ConformanceCase[] = [
  {
    name: 'each lookup is one list with resourceVersion=0 in the namespace; a disabled label sends none',
    rule: `§7.6 list_namespaced_secret(ns, label_selector=..., resource_version="0"), once per lookup, no retry on an empty answer (${BACKEND_PY}); counted in the API server's audit log`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const key = ctx.ids.plain('budget');
      const missing = ctx.ids.plain('budgetmissing');
      const disabled = ctx.ids.plain('budgetoff');
      await ctx.fixtures.putVariable(key, ctx.secrets.token('budget'));
      await ctx.fixtures.putVariable(disabled, ctx.secrets.token('budget'));
      const backend = ctx.session.backend();
      await backend.getVariable(key);
      await backend.getVariable(key);
      expectNotFound(await backend.getVariable(missing), `variable "${missing}"`);
      expectNotFound(await ctx.session.backend({ variables_label: null }).getVariable(disabled), `variable "${disabled}" with variables_label=None`);
      const marker = ctx.ids.plain('budgetmarker');
      await backend.getVariable(marker);
      await auditSettled(setup, marker);
      const found = auditedSecretLists(setup.server.auditLogFile, key);
      const notFound = auditedSecretLists(setup.server.auditLogFile, missing);
      if (found.length !== 2) throw new Error(`two lookups of variable "${key}" sent ${found.length} list(s), expected 2 (one each)`);
      if (notFound.length !== 1) throw new Error(`a lookup of the missing variable "${missing}" sent ${notFound.length} list(s), expected 1`);
      const unread = auditedSecretLists(setup.server.auditLogFile, disabled).length;
      if (unread !== 0) throw new Error(`variable "${disabled}" with variables_label=None sent ${unread} list(s), expected none`);
      for (const list of [...found, ...notFound]) {
        if (!/[?&]resourceVersion=0(&|$)/.test(list.requestUri))
          throw new Error(`a lookup listed without resourceVersion=0: ${list.requestUri.split('?')[0]}`);
        if (list.namespace !== setup.namespace) throw new Error(`a lookup listed in namespace ${list.namespace}, expected ${setup.namespace}`);
      }
    },
  },
  {
    name: "Secrets are found by the provider's label keys, whatever their names",
    rule: `§7.6 list_namespaced_secret(label_selector="<label>=<id>"); provider 10.25.0's labels are airflow.apache.org/connection-id, variable-key and config-key, not the -name keys (${BACKEND_PY})`,
    needs: ['kubernetes-labels', 'connections', 'variables', 'config'],
    async run(ctx) {
      const fixtures = fixturesOf(ctx);
      const real = { connection: ctx.secrets.token('c'), variable: ctx.secrets.token('v'), config: ctx.secrets.token('f') };
      const ids = { connection: ctx.ids.next('conn'), variable: ctx.ids.next('var'), config: ctx.ids.next('cfg') };
      const labels = { connection: DEFAULT_CONNECTIONS_LABEL, variable: DEFAULT_VARIABLES_LABEL, config: DEFAULT_CONFIG_LABEL };
      for (const kind of ['connection', 'variable', 'config'] as const) {
        const value = kind === 'connection' ? `postgres://app:${real.connection}@db.example/x` : real[kind];
        await fixtures.putRaw({ name: secretName(ctx, `zz-${kind}`), labels: { [labels[kind]]: ids[kind] }, data: { value } });
        // What a backend reading the spec's label keys would find instead.
        await fixtures.putRaw({
          name: secretName(ctx, `aa-${kind}`),
          labels: { [SPEC_LABELS[kind]]: ids[kind] },
          data: { value: ctx.secrets.token('decoy') },
        });
      }
      const connection = await ctx.backend.getConnection(ids.connection);
      expectSecret(connection?.password ?? null, real.connection, `connection "${ids.connection}" by ${DEFAULT_CONNECTIONS_LABEL}`);
      expectSecret(await ctx.backend.getVariable(ids.variable), real.variable, `variable "${ids.variable}" by ${DEFAULT_VARIABLES_LABEL}`);
      expectSecret(await ctx.backend.getConfig(ids.config), real.config, `config "${ids.config}" by ${DEFAULT_CONFIG_LABEL}`);
    },
  },
  {
    name: 'the value is data.value, base64-decoded as UTF-8',
    rule: `§7.6 base64.b64decode(secret.data["value"]).decode("utf-8") (${BACKEND_PY} _get_secret_by_selector)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const key = ctx.ids.next('b64');
      const value = ctx.secrets.mark('pä$$=wörd/+ü✓ ');
      await fixturesOf(ctx).putRaw({ name: secretName(ctx, 'b64'), labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { value } });
      expectSecret(await ctx.backend.getVariable(key), value, `variable "${key}" stored base64 in data.value`);
    },
  },
  {
    name: 'a Secret without the data key is None; variables_data_key reads another key',
    rule: `§7.6 "if data lacks the data key, None"; *_data_key names the key (${BACKEND_PY} __init__, _get_secret_by_selector)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const key = ctx.ids.next('datakey');
      const value = ctx.secrets.token('other');
      await fixturesOf(ctx).putRaw({ name: secretName(ctx, 'datakey'), labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { other: value } });
      expectNotFound(await ctx.backend.getVariable(key), `variable "${key}" whose Secret has no "value" key`);
      expectSecret(
        await ctx.session.backend({ variables_data_key: 'other' }).getVariable(key),
        value,
        `variable "${key}" with variables_data_key="other"`,
      );
    },
  },
  {
    name: 'several matching Secrets: the first in name order wins, with a warning',
    rule: `§7.6 "more than one item logs a warning and uses the first"; the API server lists in name order (${BACKEND_PY})`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const fixtures = fixturesOf(ctx);
      const key = ctx.ids.next('several');
      const name = secretName(ctx, 'several');
      const first = ctx.secrets.token('first');
      // Created second, listed first.
      await fixtures.putRaw({ name: `${name}-b`, labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { value: ctx.secrets.token('second') } });
      await fixtures.putRaw({ name: `${name}-a`, labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { value: first } });
      const backend = ctx.session.backend();
      expectSecret(await backend.getVariable(key), first, `variable "${key}" held by two Secrets`);
      const warnings = warningsOf(backend);
      if (warnings !== null && !warnings.some((warning) => warning.startsWith('Multiple secrets found'))) {
        throw new Error(`variable "${key}" held by two Secrets: no "Multiple secrets found" warning (got ${warnings.length} other warning(s))`);
      }
    },
  },
  {
    name: "a namespace given in backend_kwargs is read instead of the pod's",
    rule: `§7.6 namespace: the kwarg when set, else the service account's namespace file (${BACKEND_PY} namespace)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const fixtures = fixturesOf(ctx);
      const key = ctx.ids.next('ns');
      const given = ctx.secrets.token('given');
      const own = ctx.secrets.token('own');
      await fixtures.putRaw({
        name: secretName(ctx, 'given'),
        namespace: setup.givenNamespace,
        labels: { [DEFAULT_VARIABLES_LABEL]: key },
        data: { value: given },
      });
      await fixtures.putRaw({ name: secretName(ctx, 'own'), labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { value: own } });
      expectSecret(
        await ctx.session.backend({ namespace: setup.givenNamespace }).getVariable(key),
        given,
        `variable "${key}" with namespace=${setup.givenNamespace}`,
      );
      expectSecret(await ctx.backend.getVariable(key), own, `variable "${key}" in the auto-detected namespace ${setup.namespace}`);
    },
  },
  {
    name: 'no namespace kwarg and no namespace file is a configuration error',
    rule: `§7.6 "Could not auto-detect Kubernetes namespace ... Set the 'namespace' parameter explicitly in backend_kwargs." (${BACKEND_PY} namespace)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const key = ctx.ids.next('nonsfile');
      await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
      const backend = ctx.session.backend({ ...setup.noNamespaceFile.kwargs });
      await expectRejects(
        backend.getVariable(key),
        ConfigurationError,
        `variable "${key}" from a pod without a namespace file`,
        credentialsOf(setup),
      );
    },
  },
  {
    name: 'an id that is no valid label value is InvalidName, never not found',
    rule: '§7.6 "ids must be valid label values (<= 63 chars, alphanumerics plus -_., alphanumeric at both ends), otherwise the API errors"',
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const long = `${ctx.ids.plain('long')}${'x'.repeat(64)}`;
      for (const id of [long, `${ctx.ids.plain('dash')}-`, `${ctx.ids.plain('space')} x`]) {
        await expectRejects(ctx.backend.getVariable(id), InvalidNameError, `variable "${id.slice(0, 40)}..."`, credentialsOf(setup));
      }
    },
  },
  {
    name: 'Secrets of a namespace without a Role are Forbidden, never not found; the namespace goes with the case',
    rule: '§7.6 the service account lists Secrets only where RBAC lets it: the API answers 403, which is no "not found"',
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const namespace = secretName(ctx, 'elsewhere').replace(/^k-/, `asc-${setup.tag}-`);
      await setup.admin.ensureNamespace(namespace, { 'conformance.airflow-secrets/run': setup.tag });
      try {
        const key = ctx.ids.next('elsewhere');
        const value = ctx.secrets.token('elsewhere');
        await fixturesOf(ctx).putRaw({ name: secretName(ctx, 'elsewhere'), namespace, labels: { [DEFAULT_VARIABLES_LABEL]: key }, data: { value } });
        await expectRejects(ctx.session.backend({ namespace }).getVariable(key), ForbiddenError, `variable "${key}" in namespace ${namespace}`, [
          value,
          ...credentialsOf(setup),
        ]);
      } finally {
        await setup.admin.deleteNamespace(namespace);
      }
      const left = await setup.admin.namespaceNames(`conformance.airflow-secrets/run=${setup.tag}`);
      if (left.includes(namespace)) throw new Error(`namespace ${namespace} is still there after its deletion`);
    },
  },
  {
    name: "a team's Secret is not served globally, and a team-scoped id asks nothing",
    rule: `§7.6 provider 10.25.0 adds "!airflow.apache.org/team" to the selector, and answers None for "_<team>___<id>" without a team (${BACKEND_PY} _get_secret, _is_team_specific_accessed_as_global)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const fixtures = fixturesOf(ctx);
      const key = ctx.ids.next('team');
      await fixtures.putRaw({
        name: secretName(ctx, 'team'),
        labels: { [DEFAULT_VARIABLES_LABEL]: key, [DEFAULT_TEAM_LABEL]: 'blue' },
        data: { value: ctx.secrets.token('team') },
      });
      expectNotFound(await ctx.backend.getVariable(key), `variable "${key}" held only by team blue's Secret`);
      const backend = ctx.session.backend();
      const before = requestsOf(backend);
      expectNotFound(await backend.getVariable('_blue___shared'), 'variable "_blue___shared" asked without a team');
      expectNoRequest(before, requestsOf(backend), 'variable "_blue___shared"');
    },
  },
  {
    name: 'a label set to None answers None without a request',
    rule: `§7.6 connections_label=None disables the kind: "requests ... will not be sent to Kubernetes" (${BACKEND_PY} _get_secret)`,
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const key = ctx.ids.next('nolabel');
      await ctx.fixtures.putVariable(key, ctx.secrets.token('v'));
      const backend = ctx.session.backend({ variables_label: null });
      const before = requestsOf(backend);
      expectNotFound(await backend.getVariable(key), `variable "${key}" with variables_label=None`);
      expectNoRequest(before, requestsOf(backend), `variable "${key}" with variables_label=None`);
    },
  },
  {
    name: 'through Toxiproxy: the API server down is Unavailable, and the same backend reads again once it is back',
    rule: '§2.3 a backend that cannot reach its store fails (Airflow logs it and asks the next); it is no "not found"',
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const toxiproxy = requireEndpoint(ctx.environment.servers, toxiproxyServer, `target ${ctx.target.name}`);
      const key = ctx.ids.next('down');
      const value = ctx.secrets.token('down');
      await ctx.fixtures.putVariable(key, value);
      await using proxy = await createProxy(toxiproxy, { name: ctx.ids.plain('kube'), upstream: setup.server });
      const backend = ctx.session.backend({ incluster_port: proxy.address.split(':').pop() });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" through the healthy proxy`);
      await proxy.setEnabled(false);
      await expectRejects(backend.getVariable(key), UnavailableError, `variable "${key}" with the API server down`, [value, ...credentialsOf(setup)]);
      await proxy.setEnabled(true);
      const back = await pollUntil(
        () => backend.getVariable(key),
        (answer) => answer === value,
        { attempts: 20, deadlineMs: 10_000, intervalMs: 100 },
      );
      if (!back.ok) throw new Error(`variable "${key}": not served again within ${back.ms} ms of the API server coming back`);
    },
  },
  {
    name: 'through Toxiproxy: a stalled API server is a Timeout within request_timeout',
    rule: '§2.3 a lookup is bounded: a stalled store gives a typed failure in time, never a hang (request_timeout, our reference kwarg)',
    needs: ['kubernetes-labels', 'variables'],
    async run(ctx) {
      const setup = await runOf(ctx);
      const toxiproxy = requireEndpoint(ctx.environment.servers, toxiproxyServer, `target ${ctx.target.name}`);
      const key = ctx.ids.next('stall');
      const value = ctx.secrets.token('stall');
      await ctx.fixtures.putVariable(key, value);
      await using proxy = await createProxy(toxiproxy, { name: ctx.ids.plain('kube'), upstream: setup.server });
      const backend = ctx.session.backend({ incluster_port: proxy.address.split(':').pop(), request_timeout: REQUEST_TIMEOUT_SECONDS });
      expectSecret(await backend.getVariable(key), value, `variable "${key}" through the healthy proxy`);
      await proxy.proxy.addToxic({
        name: ctx.ids.plain('stall'),
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: STALL_MS, jitter: 0 },
      });
      const boundMs = REQUEST_TIMEOUT_SECONDS * 1000 + 1_500;
      const settled = await settleWithin(backend.getVariable(key), boundMs);
      if (!settled.settled) throw new Error(`variable "${key}" under ${STALL_MS} ms of latency: no answer within ${boundMs} ms`);
      if (!('error' in settled.outcome)) throw new Error(`variable "${key}" under ${STALL_MS} ms of latency: answered a value instead of giving up`);
      if (!(settled.outcome.error instanceof TimeoutError)) {
        const name = settled.outcome.error instanceof Error ? settled.outcome.error.name : typeof settled.outcome.error;
        throw new Error(`variable "${key}" under ${STALL_MS} ms of latency: failed with ${name}, expected TimeoutError`);
      }
    },
  },
];

export const kubernetesLabelsSuite = defineSuite({
  id: 'kubernetes-labels',
  title: 'Kubernetes labels',
  level: 'core',
  requires: 'kubernetes-labels',
  cases: () => cases,
});
