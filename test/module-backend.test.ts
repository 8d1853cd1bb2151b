/**
 * Custom backend modules (`--backend=./my-backend.ts`): a good module in TypeScript or JavaScript
 * loads and serves lookups; a missing file, a module without a factory, a factory that throws and
 * one that returns something else are each one ConfigurationError line with a hint. A connection
 * the module built with fields Airflow's Connection cannot hold is refused as the module's error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deserializeConnection } from '../model/connection/connection';
import { ConfigurationError, ConnectionFormatError, ForbiddenError } from '../model/errors';
import { createBackendFromModule, DeferredBackend, loadBackendModule, looksLikeModulePath } from '../targets/module-backend';
import { expectRejects } from '../suites/expect-secret';

const scratch = mkdtempSync(join(tmpdir(), 'module-backend-'));
const contractPath = fileURLToPath(new URL('../model/contract.ts', import.meta.url));

function moduleFile(name: string, source: string): string {
  const path = join(scratch, name);
  writeFileSync(path, source);
  return path;
}

async function loadError(path: string): Promise<ConfigurationError> {
  return expectRejects(loadBackendModule(path), ConfigurationError, `loading ${path}`);
}

describe('loading a backend module', () => {
  it('loads a TypeScript default-export factory and serves lookups with the kwargs it was given', async () => {
    const path = moduleFile(
      'good.ts',
      `import { BaseSecretsBackend } from ${JSON.stringify(contractPath)};
       class Fixed extends BaseSecretsBackend {
         readonly kind = 'Fixed';
         constructor(private readonly values: Record<string, string>) { super(); }
         async getConnValue(id: string) { return this.values['conn:' + id] ?? null; }
         async getVariable(key: string): Promise<string | null> { return this.values[key] ?? null; }
       }
       export const conformance = { store: { layout: 'env' } };
       export default (kwargs: Record<string, unknown>) => new Fixed(kwargs.values as Record<string, string>);`,
    );
    const module = await loadBackendModule(path);
    expect(module.exports.conformance).toEqual({ store: { layout: 'env' } });
    const backend = await createBackendFromModule(module, { values: { answer: '42', 'conn:db': 'mysql://u@h/s' } });
    expect(backend.kind).toBe('Fixed');
    expect(await backend.getVariable('answer')).toBe('42');
    expect(await backend.getVariable('missing')).toBeNull();
    expect((await backend.getConnection('db'))?.connType).toBe('mysql');
  });

  it('loads a JavaScript module with a named createBackend, by a path relative to the working folder', async () => {
    const path = moduleFile(
      'named.mjs',
      `export async function createBackend() {
         return { kind: 'Plain', getConnValue: async () => null, getConnection: async () => null,
                  getVariable: async (key) => 'v:' + key, getConfig: async () => null };
       }`,
    );
    const module = await loadBackendModule(relative(process.cwd(), path));
    expect(await (await createBackendFromModule(module, {})).getVariable('k')).toBe('v:k');
  });

  it('a missing file is one line naming the path', async () => {
    const error = await loadError('./no/such/backend.ts');
    expect(error.oneLine()).toMatch(/^ConfigurationError: backend module \.\/no\/such\/backend\.ts: file not found .*hint: /);
    expect(error.oneLine()).not.toContain('\n');
  });

  it('a module without a factory says what to export', async () => {
    const error = await loadError(moduleFile('nofactory.ts', 'export const answer = 42;\n'));
    expect(error.message).toMatch(/exports no backend factory/);
    expect(error.hint).toMatch(/createBackend/);
  });

  it('a module that does not load gives the first line of the reason', async () => {
    const error = await loadError(moduleFile('broken.ts', 'export default (kwargs => {;\n'));
    expect(error.message).toMatch(/cannot be loaded/);
    expect(error.oneLine()).not.toContain('\n');
  });

  it('a file that is not a module is refused by its extension', async () => {
    const error = await loadError(moduleFile('backend.txt', 'hello'));
    expect(error.message).toMatch(/not a module extension/);
  });

  it('a factory that throws is a ConfigurationError; a SecretsError it throws keeps its class', async () => {
    const throwing = await loadBackendModule(moduleFile('throws.ts', `export default () => { throw new TypeError('no url given'); };`));
    const error = await expectRejects(createBackendFromModule(throwing, {}), ConfigurationError, 'a throwing factory');
    expect(error.message).toMatch(/the factory threw TypeError: no url given/);
    const errorsPath = fileURLToPath(new URL('../model/errors.ts', import.meta.url));
    const refusing = await loadBackendModule(
      moduleFile(
        'refuses.ts',
        `import { ForbiddenError } from ${JSON.stringify(errorsPath)}; export default () => { throw new ForbiddenError('no access'); };`,
      ),
    );
    await expectRejects(createBackendFromModule(refusing, {}), ForbiddenError, 'a deliberate refusal');
  });

  it('a factory that returns something other than a backend says what is missing', async () => {
    const none = await loadBackendModule(moduleFile('null.ts', 'export default () => null;'));
    expect((await expectRejects(createBackendFromModule(none, {}), ConfigurationError, 'null')).message).toMatch(/returned null/);
    const partial = await loadBackendModule(
      moduleFile('partial.ts', `export default () => ({ kind: 'Half', getVariable: async () => null, getConfig: async () => null });`),
    );
    const error = await expectRejects(createBackendFromModule(partial, {}), ConfigurationError, 'half a backend');
    expect(error.message).toMatch(/without getConnValue, getConnection/);
    const nameless = await loadBackendModule(
      moduleFile(
        'nameless.ts',
        `export default () => ({ getConnValue: async () => null, getConnection: async () => null, getVariable: async () => null, getConfig: async () => null });`,
      ),
    );
    expect((await expectRejects(createBackendFromModule(nameless, {}), ConfigurationError, 'no kind')).message).toMatch(/"kind"/);
  });

  it('a deferred backend reports the construction failure at each lookup', async () => {
    const backend = new DeferredBackend('Later', async () => {
      throw new ConfigurationError('cannot build it', { hint: 'fix the kwargs' });
    });
    await expectRejects(backend.getVariable('k'), ConfigurationError, 'first lookup');
    await expectRejects(backend.getConnection('c'), ConfigurationError, 'second lookup');
    await backend.close();
  });

  it("a port the module's own connection holds as text, in any shape, is refused as the module's error, never as its refusal", async () => {
    const shapes: unknown[] = ['5432abc', 'abc5432', ' 5432 ', '5432.0', '54 32', '5432', '9007199254740993', 5432.5, Number.NaN, true];
    for (const port of shapes) {
      const backend = new DeferredBackend('OwnFields', async () => ({
        kind: 'OwnFields',
        getConnValue: async () => null,
        getVariable: async () => null,
        getConfig: async () => null,
        getConnection: async (connId: string) => Object.assign(deserializeConnection(connId, 'mysql://db.example.com/main', 'sdk'), { port }),
      }));
      const what = `port ${JSON.stringify(port)}`;
      const error = await backend.getConnection('c').then(
        () => expect.fail(`${what}: the connection was served`),
        (failure: unknown) => failure,
      );
      expect(error, what).toBeInstanceOf(ConnectionFormatError);
      expect((error as ConnectionFormatError).raisedByHarness, what).toBe(true);
      expect((error as Error).message, what).toMatch(/has port as a (str|float|boolean)/);
      await expect(expectRejects(backend.getConnection('c'), ConnectionFormatError, what), what).rejects.toThrow(/raised nothing/);
    }
    const right = new DeferredBackend('OwnFields', async () => ({
      kind: 'OwnFields',
      getConnValue: async () => null,
      getVariable: async () => null,
      getConfig: async () => null,
      getConnection: async (connId: string) => deserializeConnection(connId, '{"conn_type": "http", "port": "9007199254740993"}', 'sdk'),
    }));
    expect((await right.getConnection('c'))?.port).toBe(9007199254740993n);
  });

  it('tells module paths from target names', () => {
    for (const path of ['./x.ts', '../y.js', '/abs/z.mjs', 'examples/a.ts']) expect(looksLikeModulePath(path), path).toBe(true);
    for (const name of ['env', 'airflow:env', 'local-json', 'mutant:env-lowercase-names']) expect(looksLikeModulePath(name), name).toBe(false);
  });
});
