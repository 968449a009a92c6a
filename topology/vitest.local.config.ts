import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// This workspace's tests on their own, without the root int project's globalSetup (which builds
// the router's migrated template database and is not needed here). From the repository root:
//   npx tsc -b topology && npx vitest run --config topology/vitest.local.config.ts
// The integration tests need redis-server and PostgreSQL binaries, and Redis on 6379 and
// PostgreSQL on 5432 for the "defaults reachable" case of local-services.int.test.ts.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['src/**/*.int.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['src/**/*.int.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          // vitest 4 runs projects with different maxWorkers in separate groups.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
