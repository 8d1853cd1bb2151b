/** The bench's floor for an env lookup: a `process.env` read. */
import type { RawClient } from '../../targets/family';
import type { TargetDefinition, TargetSession } from '../../suites/target';
import { variableEnvName } from '../../model/environment-variables';

export async function envRawClient(_target: TargetDefinition, _session: TargetSession, key: string): Promise<RawClient> {
  const name = variableEnvName(key);
  return { what: 'process.env read', read: () => process.env[name], synchronous: true, close: () => {} };
}
