/** `airflow:local`: Airflow's own LocalFilesystemBackend, reading the local-json fixture files. */
import { bridgedTarget } from '../../targets/airflow-bridge';
import { localSessionFileKwargs } from './session-files';
import { localJsonTarget } from './targets';

export const LOCAL_FILESYSTEM_BACKEND_CLASS = 'airflow.secrets.local_filesystem.LocalFilesystemBackend';

export const airflowLocalTarget = bridgedTarget(localJsonTarget, {
  name: 'airflow:local',
  summary: "Airflow 3.3.2's LocalFilesystemBackend through the bridge, reading the local-json fixture files",
  backendClass: LOCAL_FILESYSTEM_BACKEND_CLASS,
  // LocalFilesystemBackend builds airflow.models.connection.Connection itself, whatever class is set.
  parser: 'core',
  kwargs: localSessionFileKwargs,
  described: () => ({
    kwargs: {
      connections_file_path: '<session>/connections.json',
      variables_file_path: '<session>/variables.json',
      configs_file_path: '<session>/configs.json',
    },
    notes: ['each case gets its own folder of local-json fixture files'],
  }),
});
