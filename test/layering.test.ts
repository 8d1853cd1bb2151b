/**
 * The lint check holds the layering (LAYERS in eslint.config.js): each probe below is a file that
 * does not exist, linted as if it stood at the path given, with the project's own configuration.
 * A framework that names a family, a model file that reaches up, and a cycle must each fail; an
 * import down the layers must not. eslint's cycle rule passes over type-only imports; the last test
 * walks the whole import graph, types included.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
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

/** Every relative import of every source file (tests and examples aside), type-only ones included. */
function importGraph(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '' && !file.endsWith('.test.ts') && !/^(test|examples)\//.test(file));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => normalize(join(dirname(file), name)))
      .map((base) => [base, `${base}.ts`, join(base, 'index.ts')].find((candidate) => candidate.endsWith('.ts') && existsSync(join(root, candidate))))
      .filter((target): target is string => target !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe('the import graph', () => {
  it('has no cycle, type-only imports included', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(200);
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle finder sees a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
