/** The suites that hold for every family, in the order reports list them; families add their own after these. */
import { authSuite } from './auth.suite';
import { cachingSuite } from './caching.suite';
import { failoverSuite } from './failover.suite';
import { formatErrorsSuite } from './format-errors.suite';
import { formatsSuite } from './formats.suite';
import { isolationSuite } from './isolation.suite';
import { lookupOrderSuite } from './lookup-order.suite';
import { namingSuite } from './naming.suite';
import { notFoundSuite } from './not-found.suite';
import { preseededSuite } from './preseeded.suite';
import { requestBudgetSuite } from './request-budget.suite';
import { retrievalSuite } from './retrieval.suite';
import { rotationSuite } from './rotation.suite';
import { throttlingSuite } from './throttling.suite';
import type { Suite } from './suite';

export const commonSuites: readonly Suite[] = [
  retrievalSuite,
  notFoundSuite,
  preseededSuite,
  namingSuite,
  formatsSuite,
  formatErrorsSuite,
  lookupOrderSuite,
  cachingSuite,
  rotationSuite,
  authSuite,
  isolationSuite,
  requestBudgetSuite,
  failoverSuite,
  throttlingSuite,
];
