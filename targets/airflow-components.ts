/**
 * The search path and cache of targets whose backend Airflow runs through the bridge: Airflow's own
 * (targets/airflow-search-path.ts), so their lookup-order, caching, rotation and request-budget cells
 * say what Airflow 3.3.2 does rather than what our reference port of it does.
 */
import { AIRFLOW_SEARCH_PATH_IMPLEMENTATION, AirflowSearchPath, AirflowSecretCache } from './airflow-search-path';
import type { CommandProcess } from './command-process';
import type { TargetComponents } from '../suites/target';

/** What bridge/airflow_bridge.py calls itself in `hello`: a command that is the Airflow bridge. */
export const AIRFLOW_BRIDGE_IMPLEMENTATION = 'airflow-bridge';

/** Components running in `bridge` (the target's command), for chains that name none of its backends. */
export function airflowSearchPathComponents(bridge: () => CommandProcess): TargetComponents {
  return {
    searchPathImplementation: AIRFLOW_SEARCH_PATH_IMPLEMENTATION,
    searchPath: (backends, options) => new AirflowSearchPath(backends, { ...options, bridge }),
    cache: (options) => new AirflowSecretCache(options),
  };
}
