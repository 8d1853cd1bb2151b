/**
 * The local targets: our LocalFilesystemBackend, one target per file format (`local-json`,
 * `local-yaml`, `local-env`), each session reading files of its own folder.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { referenceDescription, runTag, type Capability, type TargetDefinition, type TargetSession, type TargetStore } from '../../suites/target';
import { KWARG_FOR_KIND, LocalFiles, type LocalFileFormat } from './fixtures';
import { LocalFilesystemBackend } from './local-filesystem';
import type { SecretFileKind } from './secret-file-loader';

/** The format of a local target's files. */
export interface LocalStore extends TargetStore {
  readonly layout: 'local';
  readonly format: LocalFileFormat;
}

/**
 * Follows the session: a kind with no kwarg reads whatever file the session points it at now, so
 * the case's backend sees a raw file written after it was made. A kwarg pins that kind's path.
 */
class SessionLocalBackend extends LocalFilesystemBackend {
  private readonly files: LocalFiles;
  private readonly pinned: ReadonlySet<string>;

  constructor(files: LocalFiles, kwargs: Record<string, unknown>) {
    super(kwargs);
    this.files = files;
    this.pinned = new Set(Object.keys(kwargs));
  }

  protected override filePath(kind: SecretFileKind): string | null {
    return this.pinned.has(KWARG_FOR_KIND[kind]) ? super.filePath(kind) : this.files.currentPath(kind);
  }
}

// ---------------------------------------------------------------------------------------------
// The three targets.

const COMMON_CAPABILITIES: readonly Capability[] = ['connections', 'variables', 'config', 'large-values', 'mutable', 'raw-files', 'residue'];

/** Distinct ids of this run still written in any session folder of this target. */
async function idsLeftOnDisk(parent: string, targetName: string, runId: string): Promise<number> {
  const marker = new RegExp(`asc_${runTag(runId)}_[^\\s"':=,{}]+`, 'gi');
  const ids = new Set<string>();
  const folders = await readdir(parent).catch(() => [] as string[]);
  for (const folder of folders.filter((name) => name.startsWith(`${targetName}-`))) {
    const files = await readdir(join(parent, folder)).catch(() => [] as string[]);
    for (const file of files) {
      const text = await readFile(join(parent, folder, file), 'utf8').catch(() => '');
      for (const id of text.match(marker) ?? []) ids.add(id);
    }
  }
  return ids.size;
}

const COMMON_MISSING: Partial<Record<Capability, string>> = {
  'conn-value': 'LocalFilesystemBackend overrides get_connection only; its get_conn_value raises NotImplementedError',
  'json-connections': 'a string in a connections file is always parsed as a URI, never as JSON text (spec §6.5)',
  'env-var-names': 'the backend reads files, not environment variables',
  'auth-wrong-credentials': 'local files are read without credentials',
  'auth-expired-credentials': 'local files are read without credentials',
  'auth-policy': 'file permissions are the only policy; the suites do not change them',
  'vault-paths': 'not a Vault backend',
  'network-faults': 'the backend reads a local file: there is no connection to fault',
  throttling: 'no server: nothing answers "slow down"',
  versions: 'a rewritten file keeps no earlier version',
  'staged-rotation': 'a rewritten file keeps no earlier version',
};

function localStore(format: LocalFileFormat): LocalStore {
  // A key in any of the three formats is any text without '=' (.env) or a line break.
  return { layout: 'local', format, idShapes: ['upper-case', 'dash', 'dot', 'slash', 'leading-digit', 'non-ascii'] };
}

function localTarget(
  format: LocalFileFormat,
  summary: string,
  extra: readonly Capability[],
  missing: Partial<Record<Capability, string>>,
): TargetDefinition {
  const name = `local-${format}`;
  return {
    name,
    family: 'local',
    summary,
    backendKind: 'LocalFilesystemBackend',
    capabilities: [...COMMON_CAPABILITIES, ...extra],
    missingCapabilityReasons: { ...COMMON_MISSING, ...missing },
    servers: [],
    parser: 'core',
    store: localStore(format),
    fileFormat: format,
    describe: (environment) => {
      const fileOf = (kind: SecretFileKind) => join(environment.scratchDir, 'local', `${name}-<case>`, `${kind}.${format}`);
      return referenceDescription('LocalFilesystemBackend', {
        kwargs: { connections_file_path: fileOf('connections'), variables_file_path: fileOf('variables'), configs_file_path: fileOf('configs') },
      });
    },
    async open(environment): Promise<TargetSession> {
      const parent = join(environment.scratchDir, 'local');
      await mkdir(parent, { recursive: true });
      const files = new LocalFiles(await mkdtemp(join(parent, `${name}-`)), format);
      await files.writeEmptyFiles();
      return {
        fixtures: files,
        backend: (kwargs = {}) => new SessionLocalBackend(files, kwargs),
        async close() {
          await rm(files.folder, { recursive: true, force: true });
        },
      };
    },
    residue: (environment) => idsLeftOnDisk(join(environment.scratchDir, 'local'), name, environment.runId),
  };
}

export const localJsonTarget = localTarget(
  'json',
  'LocalFilesystemBackend reading .json files (URI strings or connection objects)',
  ['field-connections', 'empty-values', 'multiline-values'],
  {},
);

export const localYamlTarget = localTarget(
  'yaml',
  'LocalFilesystemBackend reading .yaml files (URI strings or connection mappings)',
  ['field-connections', 'empty-values', 'multiline-values'],
  {},
);

export const localEnvTarget = localTarget('env', 'LocalFilesystemBackend reading .env files (KEY=VALUE lines)', [], {
  'field-connections': 'a .env value is text: a connection is always read as a URI',
  'empty-values': 'Airflow refuses "KEY=" with the parse error "Invalid line format. Value is empty."',
  'multiline-values': 'one KEY=VALUE per line: a line break inside a value splits the entry',
});

export const localTargets: readonly TargetDefinition[] = [localJsonTarget, localYamlTarget, localEnvTarget];
