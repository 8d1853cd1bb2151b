/** How an AWS target is reached: its server and address kwargs, what each request is for, and the ids its store holds. */
import { endpointOf, type ServerKind } from '../../containers/contract';
import type { MotoEndpoint } from '../../containers/moto';
import type { ObservedRequest, TargetNetwork } from '../../suites/target';
import { awsLookupBudget } from './aws-kwargs';
import type { AwsService, AwsStore } from './layout';
import { awsThrottling } from './throttling';

/** The JSON protocol names the operation in a header: a read is GetSecretValue or GetParameter. */
function awsRequestKind(request: ObservedRequest): 'auth' | 'read' | 'other' {
  const operation = request.headers['x-amz-target'] ?? '';
  return /^(secretsmanager\.GetSecretValue|AmazonSSM\.GetParameter)$/.test(operation) ? 'read' : 'other';
}

export function awsNetwork(backendKind: string, store: ServerKind<MotoEndpoint>): TargetNetwork {
  return {
    server: store,
    serverUrl: (servers) => endpointOf(servers, store)?.endpoint ?? null,
    addressKwargs: (address) => ({ endpoint_url: `http://${address}` }),
    // botocore's Config, in seconds.
    timeoutKwargs: (seconds) => ({ config_kwargs: { connect_timeout: seconds, read_timeout: seconds } }),
    lookupBudget: (kwargs) => awsLookupBudget(kwargs, backendKind),
    requestKind: awsRequestKind,
    throttling: awsThrottling((request) => awsRequestKind(request) === 'read'),
  };
}

export function awsStore(service: AwsService): AwsStore {
  // Secret and parameter names take letters, digits and _.-/ (Secrets Manager also +=@), ASCII only.
  return { layout: service === 'ssm' ? 'aws-ssm' : 'aws-sm', service, idShapes: ['upper-case', 'dash', 'dot', 'slash', 'leading-digit'] };
}
