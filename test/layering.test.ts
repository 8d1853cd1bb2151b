/**
 * The lint check holds the layering (LAYERS in eslint.config.js): each probe below is a file that
 * does not exist, linted as if it stood at the path given, with the project's own configuration.
 * A framework that names a family, a model file that reaches up, and a cycle must each fail; an
 * import down the layers must not.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function rulesBroken(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('the layering is enforced by npm run lint', () => {
  it.each([
    ['suites/probe.ts', '../backends/vault/family', 'vaultFamily', 'suites'],
    ['targets/probe.ts', '../backends/kubernetes/family', 'kubernetesFamily', 'targets'],
    ['mutants/probe.ts', '../backends/env/family', 'envFamily', 'mutants'],
    ['targets/probe.ts', '../backends/families', 'families', 'targets'],
  ])('a framework file (%s) importing %s fails', async (file, from, name, layer) => {
    const broken = await rulesBroken(file, `import { ${name} } from '${from}';\nexport const probe = ${name};\n`);
    expect(broken).toEqual([
      expect.stringMatching(new RegExp(`^import-x/no-restricted-paths: .*the ${layer} layer imports only from the layers below it`)),
    ]);
  });

  it.each([
    ['model/probe.ts', '../suites/target', 'runTag'],
    ['containers/probe.ts', '../runner/run-selection', 'runRegistry'],
    ['backends/vault/probe.ts', '../../cli/main', 'main'],
    ['reports/probe.ts', '../runner/run-selection', 'runRegistry'],
  ])('a lower layer (%s) importing a higher one (%s) fails', async (file, from, name) => {
    const broken = await rulesBroken(file, `import { ${name} } from '${from}';\nexport const probe = ${name};\n`);
    expect(broken.some((rule) => rule.startsWith('import-x/no-restricted-paths:'))).toBe(true);
  });

  it.each([
    ['suites/probe.ts', '../model/errors', 'ConfigurationError'],
    ['backends/vault/probe.ts', '../../targets/registry', 'MUTANT_FAMILY'],
    ['cli/probe.ts', '../backends/families', 'families'],
  ])('an import down the layers (%s from %s) passes', async (file, from, name) => {
    const broken = await rulesBroken(file, `import { ${name} } from '${from}';\nexport const probe = ${name};\n`);
    expect(broken).toEqual([]);
  });

  it('an import cycle fails, even within one folder', async () => {
    // model/connection/connection.ts imports ../errors: an errors.ts that imported it back closes a cycle.
    const broken = await rulesBroken('model/errors.ts', "import { Connection } from './connection/connection';\nexport const probe = Connection;\n");
    expect(broken).toEqual([expect.stringMatching(/^import-x\/no-cycle: /)]);
  });
});
