/** Every conformance suite, in the order reports list them. */
import { authSuite } from './auth.suite';
import { awsNamingSuite } from './aws-naming.suite';
import { cachingSuite } from './caching.suite';
import { failoverSuite } from './failover.suite';
import { formatErrorsSuite } from './format-errors.suite';
import { formatsSuite } from './formats.suite';
import { isolationSuite } from './isolation.suite';
import { lookupOrderSuite } from './lookup-order.suite';
import { namingSuite } from './naming.suite';
import { notFoundSuite } from './not-found.suite';
import { requestBudgetSuite } from './request-budget.suite';
import { retrievalSuite } from './retrieval.suite';
import { rotationSuite } from './rotation.suite';
import type { Suite } from './suite';
import { vaultPathsSuite } from './vault-paths.suite';

export const suites: readonly Suite[] = [
  retrievalSuite,
  notFoundSuite,
  namingSuite,
  formatsSuite,
  formatErrorsSuite,
  lookupOrderSuite,
  cachingSuite,
  rotationSuite,
  authSuite,
  isolationSuite,
  vaultPathsSuite,
  awsNamingSuite,
  requestBudgetSuite,
  failoverSuite,
];
