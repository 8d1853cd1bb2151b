/**
 * Which image a server's container runs, and which engine the container path talks to. Both are
 * configuration, read in this order:
 *   1. the environment: `ASC_IMAGE_<SERVER>` (`ASC_IMAGE_VAULT=hashicorp/vault:1.17.6`), `DOCKER_HOST`;
 *   2. what `npm run containers:up` wrote under `.cache/docker/`: `images.env` names the images it
 *      built locally from registry packages, `engine.env` the engine it started;
 *   3. the official upstream images, pulled as usual, and testcontainers' own engine discovery.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from './native-process';

/** Servers with a container image. */
export type ImageServer = 'vault' | 'toxiproxy' | 'moto' | 'localstack' | 'kube-apiserver';

export type ImageSource = 'environment' | 'local build' | 'upstream';

export interface ImageChoice {
  readonly image: string;
  readonly source: ImageSource;
}

const imagesEnvFile = repoPath('.cache/docker/images.env');
const engineEnvFile = repoPath('.cache/docker/engine.env');

/** `export KEY=value` lines; anything else is ignored. A missing file reads as empty. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*?)\s*$/.exec(line);
    if (match?.[1]) values[match[1]] = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

const envFiles = new Map<string, Record<string, string>>();

/** Read once per process: `containers:up` writes these before a run, never during one. */
function readEnvFile(path: string): Record<string, string> {
  let values = envFiles.get(path);
  if (!values) {
    try {
      values = parseEnvFile(readFileSync(path, 'utf8'));
    } catch {
      values = {};
    }
    envFiles.set(path, values);
  }
  return values;
}

export function imageVariable(server: ImageServer): string {
  return `ASC_IMAGE_${server.toUpperCase().replace(/-/g, '_')}`;
}

export function chooseImage(
  server: ImageServer,
  upstream: string,
  env: NodeJS.ProcessEnv = process.env,
  localBuilds: Record<string, string> = readEnvFile(imagesEnvFile),
): ImageChoice {
  const variable = imageVariable(server);
  const configured = env[variable]?.trim();
  if (configured) return { image: configured, source: 'environment' };
  const local = localBuilds[variable];
  if (local) return { image: local, source: 'local build' };
  return { image: upstream, source: 'upstream' };
}

/**
 * Before testcontainers loads: the engine `containers:up` started, and its reaper setting, unless the
 * environment already says. Returns the variables it set.
 */
export function adoptContainerEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const adopted: Record<string, string> = {};
  const engine = readEnvFile(engineEnvFile);
  const images = readEnvFile(imagesEnvFile);
  const candidates: Record<string, string | undefined> = {
    DOCKER_HOST: engine.DOCKER_HOST,
    TESTCONTAINERS_HOST_OVERRIDE: engine.TESTCONTAINERS_HOST_OVERRIDE,
    TESTCONTAINERS_RYUK_DISABLED: images.TESTCONTAINERS_RYUK_DISABLED,
  };
  for (const [name, value] of Object.entries(candidates)) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    adopted[name] = value;
  }
  return adopted;
}
