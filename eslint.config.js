// The linter: typescript-eslint's recommended rules, no import cycles (a cycle hides which module
// is the lower one), and the layering: each folder imports only the folders below it.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The folders from the bottom up. A file may import its own layer and the layers below it, never
 * one above: the Airflow model at the bottom, the servers, the frameworks (suites, mutants,
 * targets), the families, the registry that lists them, then what runs and reports a run.
 * Tests, examples and the bin stand outside the layering; they are users of it.
 */
export const LAYERS = [
  { name: 'model', paths: ['model/**'] },
  { name: 'containers', paths: ['containers/**'] },
  { name: 'suites', paths: ['suites/**'] },
  { name: 'mutants', paths: ['mutants/**'] },
  { name: 'targets', paths: ['targets/**'] },
  { name: 'families', paths: ['backends/*/**'] },
  { name: 'registry', paths: ['backends/*.ts'] },
  { name: 'reports', paths: ['reports/**'] },
  { name: 'runner', paths: ['runner/**'] },
  { name: 'deployment', paths: ['deployment/**'] },
  { name: 'cli', paths: ['cli/**'] },
  { name: 'bench', paths: ['bench/**'] },
];

const layerZones = LAYERS.slice(0, -1).flatMap((layer, index) =>
  layer.paths.map((target) => ({
    target: `./${target}`,
    from: LAYERS.slice(index + 1).flatMap((above) => above.paths.map((path) => `./${path}`)),
    message: `the ${layer.name} layer imports only from the layers below it (${
      LAYERS.slice(0, index)
        .map((below) => below.name)
        .join(', ') || 'none'
    }); see LAYERS in eslint.config.js`,
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/', '.cache', '.cache/**', 'reports/*/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    files: ['**/*.ts'],
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Airflow's own rules are about control characters: the regular expressions that name them are the point.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
);
