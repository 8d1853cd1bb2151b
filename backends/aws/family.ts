/** The `aws` family: AWS Secrets Manager and SSM Parameter Store, read by the amazon provider's two backends. */
import { sessionKwargs } from '../../targets/command-target';
import type { BackendFamily } from '../../targets/family';
import {
  airflowParameterStoreLocalstackTarget,
  airflowParameterStoreTarget,
  airflowSecretsManagerLocalstackTarget,
  airflowSecretsManagerTarget,
  AWS_DISTRIBUTIONS,
  PARAMETER_STORE_BACKEND_CLASS,
  SECRETS_MANAGER_BACKEND_CLASS,
} from './airflow-twin';
import { awsNamingSuite } from './aws-naming.suite';
import { awsLookupNames, awsMigrationStore } from './deployment-store';
import { awsSecretsManagerExternalTarget, awsSeedPlan } from './external-target';
import { awsMutants } from './mutants';
import { awsRawClient } from './raw-client';
import { awsParameterStoreTarget, awsSecretsManagerTarget, awsTargets } from './targets';

/** The kwargs of both backends that say where and how names are built; address and keys are the test server's. */
const NAMING_KWARGS = [
  'connections_prefix',
  'variables_prefix',
  'config_prefix',
  'connections_lookup_pattern',
  'variables_lookup_pattern',
  'config_lookup_pattern',
];

export const awsFamily: BackendFamily = {
  name: 'aws',
  targets: awsTargets,
  airflowTwins: [
    airflowSecretsManagerTarget,
    airflowParameterStoreTarget,
    airflowSecretsManagerLocalstackTarget,
    airflowParameterStoreLocalstackTarget,
  ],
  layouts: [
    {
      name: 'aws-sm',
      base: () => awsSecretsManagerTarget,
      sessionKwargs,
      keptKwargs: [...NAMING_KWARGS, 'sep', 'full_url_mode', 'are_secret_values_urlencoded', 'extra_conn_words'],
      airflowClasses: [SECRETS_MANAGER_BACKEND_CLASS],
      distributions: AWS_DISTRIBUTIONS,
      lookupNames: awsLookupNames('secretsmanager'),
      migrationStore: awsMigrationStore('secretsmanager'),
    },
    {
      name: 'aws-ssm',
      base: () => awsParameterStoreTarget,
      sessionKwargs,
      keptKwargs: NAMING_KWARGS,
      airflowClasses: [PARAMETER_STORE_BACKEND_CLASS],
      distributions: AWS_DISTRIBUTIONS,
      lookupNames: awsLookupNames('ssm'),
      migrationStore: awsMigrationStore('ssm'),
    },
  ],
  suites: [awsNamingSuite],
  mutants: awsMutants,
  external: { target: awsSecretsManagerExternalTarget, standsFor: ['aws-sm'], seedPlan: awsSeedPlan },
  rawClient: awsRawClient,
};
