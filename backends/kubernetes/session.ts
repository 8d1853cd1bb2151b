/**
 * A session on the kubernetes target: fixtures in the run's namespace, backends reading it from
 * the `airflow` service account's pod, and the auth scenarios: a token the API server never
 * issued (401), the backend's own token past its expiry (401), and a real service account that
 * RBAC grants nothing (403).
 */
import type { AuthScenario, TargetEnvironment, TargetSession } from '../../suites/target';
import type { SecretsBackend } from '../../model/contract';
import { KubernetesFixtures } from './fixtures';
import type { Pod } from './pods';
import type { KubernetesRunSetup } from './run-setup';

/** The session kwargs: the pod's `incluster_*` and nothing else, so the namespace is auto-detected. */
export function podKwargs(pod: Pod): Record<string, unknown> {
  return { ...pod.kwargs };
}

export async function openKubernetesSession(
  setupFor: (environment: TargetEnvironment) => Promise<KubernetesRunSetup>,
  build: (kwargs: Record<string, unknown>) => SecretsBackend,
  environment: TargetEnvironment,
): Promise<TargetSession> {
  const setup = await setupFor(environment);
  const fixtures = new KubernetesFixtures(setup.admin, setup.namespace, setup.tag);
  const made: SecretsBackend[] = [];
  const defaults = podKwargs(setup.reader);
  const backend = (kwargs: Record<string, unknown> = {}): SecretsBackend => {
    const one = build({ ...defaults, ...kwargs });
    made.push(one);
    return one;
  };
  const credentials = [
    setup.reader.token,
    setup.noList.token,
    setup.badToken.token,
    setup.expiredToken.token,
    setup.server.adminToken,
    setup.server.nobodyToken,
  ];
  const scenario = (pod: Pod): AuthScenario => {
    const kwargs = { ...defaults, ...podKwargs(pod) };
    return { backend: backend(kwargs), kwargs, credentials };
  };
  return {
    fixtures,
    kwargs: defaults,
    backend,
    auth: {
      wrongCredentials: async () => scenario(setup.badToken),
      expiredCredentials: async () => scenario(setup.expiredToken),
      deniedRead: async () => scenario(setup.noList),
    },
    async close() {
      const outcomes = await Promise.allSettled([fixtures.removeAll(), ...made.map(async (one) => one.close?.())]);
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
