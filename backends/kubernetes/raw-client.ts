/** The bench's floor for a Kubernetes lookup: one `@kubernetes/client-node` list by label, as the session's service account. */
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { RawClient } from '../../targets/family';
import type { TargetDefinition, TargetSession } from '../../suites/target';
import { loadInClusterConfig, podFromKwargs } from './in-cluster';
import { DEFAULT_VARIABLES_LABEL } from './kubernetes-backend';

export async function kubernetesRawClient(_target: TargetDefinition, session: TargetSession, key: string): Promise<RawClient> {
  const pod = podFromKwargs(session.kwargs ?? {});
  const config = loadInClusterConfig(pod);
  const namespace = readFileSync(pod.namespaceFile, 'utf8').trim();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'pod', server: config.server, caData: Buffer.from(config.caPem).toString('base64') }],
    users: [{ name: 'pod', token: config.token }],
    contexts: [{ name: 'pod', cluster: 'pod', user: 'pod' }],
    currentContext: 'pod',
  });
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    what: 'client-node listNamespacedSecret (resourceVersion=0)',
    synchronous: false,
    read: async () => {
      const list = await core.listNamespacedSecret({ namespace, labelSelector: `${DEFAULT_VARIABLES_LABEL}=${key}`, resourceVersion: '0' });
      const encoded = list.items[0]?.data?.value;
      return encoded === undefined ? null : Buffer.from(encoded, 'base64').toString('utf8');
    },
    close: () => {},
  };
}
