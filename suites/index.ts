/** Every conformance suite, in the order reports list them. */
import type { Suite } from './suite';

export const suites: readonly Suite[] = [];
