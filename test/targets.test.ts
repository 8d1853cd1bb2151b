import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, FileParseError } from '../model/errors';
import { families } from '../backends/families';
import { findingKey } from '../suites/findings';
import { commonSuites } from '../suites/index';
import { buildRegistry } from '../runner/run-selection';
import { createTargetRegistry } from '../targets/registry';
import { localEnvTarget, localJsonTarget, localYamlTarget } from '../backends/local/targets';
import { envTarget } from '../backends/env/targets';
import type { TargetDefinition, TargetEnvironment } from '../suites/target';

let environment: TargetEnvironment;
const registry = buildRegistry();
const { targets, suites } = registry;
const resolveTargets = (selection: string[]) => registry.resolve(selection);

beforeAll(async () => {
  environment = { runId: 'unit', canary: 'cnrytargetstest', scratchDir: await mkdtemp(join(tmpdir(), 'asc-targets-')), servers: {} };
});

/** A scratch dir inside the run's, for a test that looks at the session folder itself. */
async function ownEnvironment(): Promise<TargetEnvironment> {
  return { ...environment, scratchDir: await mkdtemp(join(environment.scratchDir, 'own-')) };
}

afterAll(async () => {
  await rm(environment.scratchDir, { recursive: true, force: true });
});

describe('target registry', () => {
  it('every declared known finding names a case that exists for its target', () => {
    const declared = targets.flatMap((target) => Object.keys(target.knownFindings ?? {}).map((key) => ({ target, key })));
    expect(declared.length).toBeGreaterThan(0);
    for (const { target, key } of declared) {
      const keys = suites.flatMap((suite) => suite.cases(target).map((conformanceCase) => findingKey(suite.id, conformanceCase.name)));
      expect(keys, `${target.name}: knownFindings["${key}"] names no case`).toContain(key);
    }
  });

  it('knows env and the three local targets', () => {
    expect(targets.map((t) => t.name)).toEqual(expect.arrayContaining(['env', 'local-json', 'local-yaml', 'local-env']));
    expect(targets.filter((t) => t.family === 'local').map((t) => t.name)).toEqual(['local-json', 'local-yaml', 'local-env']);
  });

  it('resolves names and families in the order given, without repeats', () => {
    expect(resolveTargets(['local-env', 'env', 'local', 'local-json']).map((t) => t.name)).toEqual(['local-env', 'env', 'local-json', 'local-yaml']);
    expect(resolveTargets([' env ', '']).map((t) => t.name)).toEqual(['env']);
    expect(resolveTargets([])).toEqual([]);
  });

  it('refuses an unknown name, listing the known names and families', () => {
    let error: unknown;
    try {
      resolveTargets(['env', 'vaullt']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as ConfigurationError).message;
    expect(message).toContain('unknown target "vaullt"');
    expect(message).toContain('local-json, local-yaml, local-env');
    expect(message).toMatch(/families: env, local/);
  });

  it('builds from explicit inputs: extra targets are reachable by name and family, and a taken name is refused', () => {
    const withExtra = (extra: TargetDefinition) => createTargetRegistry({ families, suites: commonSuites, custom: () => [extra] });
    const extra: TargetDefinition = { ...envTarget, name: 'extra:unit-test', family: 'extra-unit' };
    expect(withExtra(extra).resolve(['extra:unit-test'])).toEqual([extra]);
    expect(withExtra(extra).resolve(['extra-unit'])).toEqual([extra]);
    expect(registry.byName('extra:unit-test')).toBeUndefined();
    expect(() => withExtra({ ...envTarget })).toThrow(ConfigurationError);
    expect(() => withExtra({ ...envTarget, name: 'local', family: 'other' })).toThrow(ConfigurationError);
  });

  it('gives a reason for every capability a built-in target lacks', () => {
    // A family's own capability (Vault paths, AWS naming) brings no cases to other targets at all.
    const familyOnly = new Set(suites.flatMap((suite) => (suite.requires ? [suite.requires] : [])));
    const all = new Set(targets.flatMap((t) => t.capabilities).filter((c) => !familyOnly.has(c)));
    for (const target of [envTarget, localJsonTarget, localYamlTarget, localEnvTarget]) {
      for (const capability of all) {
        if (!target.capabilities.includes(capability))
          expect(target.missingCapabilityReasons?.[capability], `${target.name} ${capability}`).toBeTruthy();
      }
    }
  });
});

describe('env target', () => {
  it('writes Airflow-named environment entries and puts everything back on close', async () => {
    const session = await envTarget.open(environment);
    process.env.AIRFLOW_VAR_ASC_PRESET = 'before';
    try {
      await session.fixtures.putVariable('asc_preset', 'during');
      await session.fixtures.putVariable('straße_asc', 'v');
      await session.fixtures.putConnection('asc_json', { fields: { conn_type: 'http', host: 'h', port: 8080 } });
      expect(process.env.AIRFLOW_VAR_STRASSE_ASC).toBe('v');
      const backend = session.backend();
      expect(await backend.getVariable('asc_preset')).toBe('during');
      expect(await backend.getConnection('asc_json')).toMatchObject({ connType: 'http', host: 'h', port: 8080 });
      await session.fixtures.deleteVariable?.('straße_asc');
      expect(await backend.getVariable('straße_asc')).toBeNull();
      await session.close();
      expect(process.env.AIRFLOW_VAR_ASC_PRESET).toBe('before');
      expect(process.env.AIRFLOW_VAR_STRASSE_ASC).toBeUndefined();
      expect(process.env.AIRFLOW_CONN_ASC_JSON).toBeUndefined();
    } finally {
      delete process.env.AIRFLOW_VAR_ASC_PRESET;
    }
  });

  it('refuses backend kwargs, which the environment backend does not take, and values a real environment cannot hold', async () => {
    const session = await envTarget.open(environment);
    expect(() => session.backend({ prefix: 'x' })).toThrow(ConfigurationError);
    await expect(session.fixtures.putVariable('asc_nul', 'a\0b')).rejects.toBeInstanceOf(ConfigurationError);
    expect(process.env.AIRFLOW_VAR_ASC_NUL).toBeUndefined();
    await session.close();
  });
});

const trickyValues: Record<string, string> = {
  yaml_bool_word: 'yes',
  yaml_null_word: '~',
  octal_looking: '0o17',
  colon_and_hash: 'a: b # not a comment',
  quotes: `it's "quoted" \\ backslash`,
  unicode: 'straße ✓ 😀',
  controls: 'tab\there del\x7f nel\x85 ls\u2028 bom\ufeff',
  multiline: 'line one\nline two\r\n',
  large: 'x'.repeat(10_000),
  empty: '',
};

describe('local targets', () => {
  for (const target of [localJsonTarget, localYamlTarget]) {
    it(`${target.name}: variables and connections round-trip through the file`, async () => {
      const session = await target.open(environment);
      try {
        const backend = session.backend();
        for (const [key, value] of Object.entries(trickyValues)) await session.fixtures.putVariable(key, value);
        for (const [key, value] of Object.entries(trickyValues)) expect(await backend.getVariable(key), key).toBe(value);
        await session.fixtures.putConnection('by_uri', { uri: 'postgresql://svc:p%40ss@db.example.com:5432/main' });
        await session.fixtures.putConnection('by_fields', {
          fields: { conn_type: 'postgresql', host: 'db', port: 5432, extra: { sslmode: 'require' } },
        });
        expect(await backend.getConnection('by_uri')).toMatchObject({ connType: 'postgres', password: 'p@ss', port: 5432 });
        expect(await backend.getConnection('by_fields')).toMatchObject({ connType: 'postgresql', host: 'db', port: 5432 });
        await session.fixtures.putConfig?.('core.parallelism', '32');
        expect(await backend.getConfig('core.parallelism')).toBe('32');
        await session.fixtures.deleteVariable?.('yaml_bool_word');
        expect(await backend.getVariable('yaml_bool_word')).toBeNull();
      } finally {
        await session.close();
      }
    });
  }

  it('local-env writes KEY=VALUE lines and refuses what a .env file cannot hold', async () => {
    const session = await localEnvTarget.open(environment);
    try {
      await session.fixtures.putVariable('plain', ' spaced = value ');
      await session.fixtures.putConnection('db', { uri: 'mysql://svc@db.example/main' });
      const backend = session.backend();
      expect(await backend.getVariable('plain')).toBe(' spaced = value ');
      expect(await backend.getConnection('db')).toMatchObject({ connType: 'mysql', host: 'db.example' });
      await expect(session.fixtures.putVariable('empty', '')).rejects.toBeInstanceOf(ConfigurationError);
      await expect(session.fixtures.putVariable('multi', 'a\nb')).rejects.toBeInstanceOf(ConfigurationError);
      await expect(session.fixtures.putConnection('obj', { fields: { conn_type: 'http' } })).rejects.toBeInstanceOf(ConfigurationError);
      // A refused put leaves the file as it was.
      expect(await backend.getVariable('plain')).toBe(' spaced = value ');
    } finally {
      await session.close();
    }
  });

  it('points a backend made before putRawFile at the raw file, unless a kwarg pins the path', async () => {
    const own = await ownEnvironment();
    const session = await localJsonTarget.open(own);
    try {
      await session.fixtures.putVariable('seeded', 'structured');
      const earlier = session.backend();
      const structuredPath = join((await findSessionFolder(own.scratchDir, 'local-json')) ?? '', 'variables.json');
      const pinned = session.backend({ variables_file_path: structuredPath });
      await session.fixtures.putRawFile?.('variables', 'env', 'noequals\n');
      await expect(earlier.getVariable('seeded')).rejects.toBeInstanceOf(FileParseError);
      expect(await pinned.getVariable('seeded')).toBe('structured');
    } finally {
      await session.close();
    }
  });

  it('removes its folder on close', async () => {
    const own = await ownEnvironment();
    const session = await localYamlTarget.open(own);
    const folder = await findSessionFolder(own.scratchDir, 'local-yaml');
    expect(folder).not.toBeNull();
    expect(await readFile(join(folder ?? '', 'variables.yaml'), 'utf8')).toBe('{}\n');
    await session.close();
    await expect(access(folder ?? '')).rejects.toThrow();
  });
});

/** The one session folder of `name` under a scratch dir used by a single session. */
async function findSessionFolder(scratchDir: string, name: string): Promise<string | null> {
  const entries = await readdir(join(scratchDir, 'local'));
  const match = entries.find((entry) => entry.startsWith(`${name}-`));
  return match ? join(scratchDir, 'local', match) : null;
}
