/** What the AWS family's own cases know about a target's store: which service it is. */
import type { TargetDefinition, TargetStore } from '../../suites/target';

export type AwsService = 'secretsmanager' | 'ssm';

export interface AwsStore extends TargetStore {
  readonly layout: 'aws-sm' | 'aws-ssm';
  readonly service: AwsService;
}

/** The AWS store of a target, or of one derived from it (a twin, a mutant, a custom backend). */
export function awsStoreOf(target: TargetDefinition): AwsStore | null {
  return target.store.layout === 'aws-sm' || target.store.layout === 'aws-ssm' ? (target.store as AwsStore) : null;
}
