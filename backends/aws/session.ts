/** A session on an AWS target: fixtures under the run's root, backends reading it with moto's keys, the auth scenarios on moto-iam. */
import { endpointOf, requireEndpoint, type ServerKind } from '../../containers/contract';
import type { MotoEndpoint, MotoIamEndpoint } from '../../containers/moto';
import type { TargetEnvironment, TargetSession } from '../../suites/target';
import type { SecretsBackend } from '../../model/contract';
import { AwsAuth } from './auth-scenarios';
import { AwsFixtures } from './fixtures';
import type { AwsService } from './layout';
import { runRoot, storeFor } from './stores';

/** What a session needs of a target's declaration. */
export interface AwsSessionSpec {
  readonly name: string;
  readonly service: AwsService;
  /** The emulator holding the fixtures (moto or LocalStack). */
  readonly store: ServerKind<MotoEndpoint>;
  /** The emulator enforcing IAM for the auth scenarios, when there is one. */
  readonly iam?: ServerKind<MotoIamEndpoint>;
  readonly build: (kwargs: Record<string, unknown>) => SecretsBackend;
}

/** The kwargs that aim a backend at the run's root on `endpoint`, with `keys`. */
export function sessionDefaults(endpoint: MotoEndpoint, keys: { accessKeyId: string; secretAccessKey: string }, root: string) {
  return {
    connections_prefix: `${root}/connections`,
    variables_prefix: `${root}/variables`,
    config_prefix: `${root}/config`,
    endpoint_url: endpoint.endpoint,
    region_name: endpoint.region,
    aws_access_key_id: keys.accessKeyId,
    aws_secret_access_key: keys.secretAccessKey,
  };
}

export async function openAwsSession(spec: AwsSessionSpec, environment: TargetEnvironment): Promise<TargetSession> {
  const moto = requireEndpoint(environment.servers, spec.store, `target ${spec.name}`);
  const root = runRoot(spec.service, environment.runId);
  const store = storeFor(spec.service, moto);
  const fixtures = new AwsFixtures(store, root, spec.name);
  const made: SecretsBackend[] = [];
  const make = (kwargs: Record<string, unknown>) => {
    const backend = spec.build(kwargs);
    made.push(backend);
    return backend;
  };
  const auth = new AwsAuth(spec.service, environment, fixtures, (endpoint, keys) => sessionDefaults(endpoint, keys, root), make);
  const sessionKwargs = sessionDefaults(moto, moto, root);
  return {
    fixtures,
    auth,
    kwargs: sessionKwargs,
    backend: (kwargs = {}) => make({ ...sessionKwargs, ...kwargs }),
    async close() {
      const outcomes = await Promise.allSettled([fixtures.removeAll(), auth.cleanUp(), ...made.map(async (backend) => backend.close?.())]);
      store.close();
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** Secrets and parameters left under the run's root, on each of the target's emulators. */
export async function awsResidue(service: AwsService, environment: TargetEnvironment, kinds: readonly ServerKind<MotoEndpoint>[]): Promise<number> {
  const root = runRoot(service, environment.runId);
  let count = 0;
  for (const kind of kinds) {
    const endpoint = endpointOf(environment.servers, kind);
    if (!endpoint) continue;
    const store = storeFor(service, endpoint);
    try {
      count += (await store.namesUnder(root)).length;
    } finally {
      store.close();
    }
  }
  return count;
}
