import { defineConfig } from 'vitest/config';

// No imports from the project here: vite bundles the config with its own loader, and the run's
// environment is settled by the conformance project's global setup, before any worker starts.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    reporters: ['default', './reports/reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'] },
      },
      {
        extends: true,
        // Servers start only when this project has files in the run, not for a unit-test run.
        test: { name: 'conformance', include: ['runner/**/*.test.ts'], globalSetup: ['runner/global-setup.ts'] },
      },
    ],
  },
});
