/**
 * What the kubernetes targets make once per run on the API server (as the admin): the backend's
 * namespace `asc-<tag>` and a second one, `asc-<tag>-given` (for the `namespace` kwarg); in the
 * first, the service account `airflow`, with a Role in both that may `list` Secrets and nothing
 * else, and the service account `no-list` with no Role at all, and an expired token of `airflow`. Each identity becomes a "pod" (pods.ts): a folder holding what
 * a pod has mounted, which the backends read through the `incluster_*` kwargs.
 */
import { join } from 'node:path';
import { requireEndpoint } from '../../containers/contract';
import { kubeApiServer, type KubeApiServerEndpoint } from '../../containers/kube-apiserver';
import { createSecretValues } from '../../suites/case-context';
import { runTag, type TargetEnvironment } from '../../suites/target';
import { KubernetesAdmin } from './admin';
import { expiredTwinOf } from './expired-token';
import { writePod, type Pod } from './pods';

/** Labels every object of a run carries, so residue counts and clean-up find them. */
export const RUN_LABEL = 'conformance.airflow-secrets/run';
/** Tokens outlive any run (CI allows 90 minutes). */
const TOKEN_SECONDS = 4 * 3600;

export interface KubernetesRunSetup {
  readonly server: KubeApiServerEndpoint;
  readonly admin: KubernetesAdmin;
  readonly tag: string;
  /** The backend's own namespace. */
  readonly namespace: string;
  /** A second namespace the `airflow` service account may list Secrets in. */
  readonly givenNamespace: string;
  /** `airflow`: may list Secrets in `namespace`. */
  readonly reader: Pod;
  /** `no-list`: a real service account of `namespace` that RBAC grants nothing. */
  readonly noList: Pod;
  /** A pod whose token the API server never issued. */
  readonly badToken: Pod;
  /** `airflow`'s token with its times moved past its expiry, signed with the run's key (expired-token.ts). */
  readonly expiredToken: Pod;
  /** A pod without a namespace file (automountServiceAccountToken off, a token given some other way). */
  readonly noNamespaceFile: Pod;
  /** Makes canary-carrying values for this run's credentials. */
  readonly credentials: ReturnType<typeof createSecretValues>;
}

export function runNamespace(runId: string): string {
  return `asc-${runTag(runId)}`;
}

async function prepareRun(environment: TargetEnvironment, neededBy: string): Promise<KubernetesRunSetup> {
  const server = requireEndpoint(environment.servers, kubeApiServer, neededBy);
  const admin = new KubernetesAdmin(server);
  const tag = runTag(environment.runId);
  const namespace = runNamespace(environment.runId);
  const givenNamespace = `${namespace}-given`;
  const labels = { [RUN_LABEL]: tag };
  await admin.ensureNamespace(namespace, labels);
  await admin.ensureNamespace(givenNamespace, labels);
  await admin.ensureServiceAccount(namespace, 'airflow');
  await admin.ensureServiceAccount(namespace, 'no-list');
  const listSecrets = [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }];
  const reader = [{ kind: 'ServiceAccount', name: 'airflow', namespace }];
  await admin.ensureRoleBinding(namespace, 'airflow-secrets-list', listSecrets, reader);
  await admin.ensureRoleBinding(givenNamespace, 'airflow-secrets-list', listSecrets, reader);
  const [readerToken, noListToken] = await Promise.all([
    admin.serviceAccountToken(namespace, 'airflow', TOKEN_SECONDS),
    admin.serviceAccountToken(namespace, 'no-list', TOKEN_SECONDS),
  ]);
  const expiredToken = await expiredTwinOf(server, readerToken, namespace);
  const credentials = createSecretValues(environment.canary);
  const podsDir = join(environment.scratchDir, `kubernetes-pods-${process.pid}`);
  const pod = (name: string, token: string, withNamespace = true) =>
    writePod(join(podsDir, name), { server, token, namespace: withNamespace ? namespace : null });
  return {
    server,
    admin,
    tag,
    namespace,
    givenNamespace,
    reader: pod('airflow', readerToken),
    noList: pod('no-list', noListToken),
    badToken: pod('bad-token', credentials.token('k8s')),
    expiredToken: pod('expired-token', expiredToken),
    noNamespaceFile: pod('no-namespace-file', readerToken, false),
    credentials,
  };
}

/** One setup per run and server, made on first use; a failed setup is tried again. */
export function kubernetesRunSetups(neededBy: string): (environment: TargetEnvironment) => Promise<KubernetesRunSetup> {
  const setups = new Map<string, Promise<KubernetesRunSetup>>();
  return (environment) => {
    const key = `${environment.runId}\0${requireEndpoint(environment.servers, kubeApiServer, neededBy).address}`;
    let setup = setups.get(key);
    if (!setup) {
      setup = prepareRun(environment, neededBy);
      setups.set(key, setup);
      setup.catch(() => setups.delete(key));
    }
    return setup;
  };
}
