/** The kwargs that aim any LocalFilesystemBackend (ours, Airflow's, a custom one) at a local session's files. */
import { ConfigurationError } from '../../model/errors';
import type { SessionContext } from '../../targets/command-target';
import { KWARG_FOR_KIND, LocalFiles } from './fixtures';

/** LocalFilesystemBackend's file kwargs: always the session's, never a deployment's. */
export const LOCAL_PATH_KWARGS: readonly string[] = Object.values(KWARG_FOR_KIND);

/** Read at backend creation: a raw file written earlier in the case is the one the backend reads. */
export function localSessionFileKwargs({ session }: SessionContext): Record<string, string> {
  const files = session.fixtures;
  if (!(files instanceof LocalFiles)) {
    throw new ConfigurationError('the local layout needs a session of a local target (its fixtures are LocalFiles)', {
      where: 'backends/local/session-files.ts',
      hint: 'build the target on one of backends/local/targets.ts',
    });
  }
  return {
    connections_file_path: files.currentPath('connections'),
    variables_file_path: files.currentPath('variables'),
    configs_file_path: files.currentPath('configs'),
  };
}
