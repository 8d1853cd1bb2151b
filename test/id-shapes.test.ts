/**
 * The ids a case uses must not depend on what a user calls the target: the name may change the
 * run-unique marker, never an id's shape. Vault's mount_point=None cases need ids without "/"
 * (spec §7.1): under the names below, the shape rotation used to hand one of them a "/".
 */
import { describe, expect, it } from 'vitest';
import { vaultPathsSuite } from '../backends/vault/vault-paths.suite';
import { VAULT_ID_SHAPES } from '../backends/vault/layout';
import { caseIdKey, runCase } from '../suites/case-context';
import type { FixtureStore, TargetDefinition, TargetEnvironment } from '../suites/target';

/** Custom backends' names: under the old shape rotation the first drew "/" in one case, the third in the other. */
const NAMES = ['custom:MyVault', 'custom:VaultBackend', 'custom:OurVault'];
const NO_SLASH_CASES = ['under mount_point=None an id without "/" is not found, with no request', 'an empty mount_point is read like None'];
const environment: TargetEnvironment = { runId: 'shape-run', canary: 'canary0shape', scratchDir: '/nonexistent', servers: {} };

class Seeded extends Error {}

/** The first id `caseName` seeds when run for a target called `name` (the case stops there). */
async function firstSeededId(name: string, caseName: string): Promise<string> {
  let seeded: string | undefined;
  const fixtures = new Proxy({} as FixtureStore, {
    get: () => (id: string) => {
      seeded = id;
      throw new Seeded();
    },
  });
  const target = {
    name,
    capabilities: ['vault-paths'],
    store: { layout: 'vault', idShapes: VAULT_ID_SHAPES },
    open: () => Promise.resolve({ fixtures, backend: () => ({}), close: () => Promise.resolve() }),
  } as unknown as TargetDefinition;
  const conformanceCase = vaultPathsSuite.cases(target).find((c) => c.name === caseName);
  if (!conformanceCase) throw new Error(`no case "${caseName}"`);
  await expect(runCase(target, conformanceCase, environment, caseIdKey(name, vaultPathsSuite.id, caseName))).rejects.toBeInstanceOf(Seeded);
  return seeded ?? '';
}

/** The id without its run-unique marker `asc_<tag>_<hash>`. */
function shapeOf(id: string): string {
  return id.replace(/asc_[0-9a-f]{6}_[0-9a-f]{6}/, 'MARKER');
}

describe('the ids a case uses, whatever the target is called', () => {
  for (const caseName of NO_SLASH_CASES) {
    it(`vault-paths › ${caseName}: the same shape under every name, and no "/"`, async () => {
      const ids = await Promise.all(NAMES.map((name) => firstSeededId(name, caseName)));
      const shapes = ids.map(shapeOf);
      expect(new Set(shapes).size, `ids: ${ids.join(', ')}`).toBe(1);
      for (const shape of shapes) expect(shape).not.toContain('/');
      // Only the marker tells two targets' ids apart.
      expect(new Set(ids).size).toBe(NAMES.length);
    });
  }
});
