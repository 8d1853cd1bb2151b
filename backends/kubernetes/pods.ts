/**
 * A "pod" outside a cluster: a folder holding what the kubelet mounts at
 * `/var/run/secrets/kubernetes.io/serviceaccount` (token, ca.crt, namespace) and the kwargs that
 * point a backend at it and at the API server instead of `KUBERNETES_SERVICE_HOST/PORT`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeApiServerEndpoint } from '../../containers/kube-apiserver';

export interface Pod {
  readonly dir: string;
  /** The service-account token the pod holds (a credential: never printed). */
  readonly token: string;
  /** `incluster_*` kwargs (in-cluster.ts) aiming a backend at this pod and the run's server. */
  readonly kwargs: Readonly<Record<string, string>>;
}

export interface PodContents {
  readonly server: Pick<KubeApiServerEndpoint, 'host' | 'port' | 'caPem'>;
  readonly token: string;
  /** `null`: no namespace file, as with automountServiceAccountToken off. */
  readonly namespace: string | null;
}

export function writePod(dir: string, contents: PodContents): Pod {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  writeFileSync(file('token'), contents.token, { mode: 0o600 });
  writeFileSync(file('ca.crt'), contents.server.caPem);
  if (contents.namespace !== null) writeFileSync(file('namespace'), contents.namespace);
  return {
    dir,
    token: contents.token,
    kwargs: {
      incluster_host: contents.server.host,
      incluster_port: String(contents.server.port),
      incluster_token_file: file('token'),
      incluster_ca_file: file('ca.crt'),
      incluster_namespace_file: file('namespace'),
    },
  };
}
