import { defineConfig } from 'vitest/config';

// Two tiers run by `make test`: colocated unit tests (*.test.ts) and integration tests
// (*.int.test.ts) against real Redis and PostgreSQL. Integration files each get their own
// database and key namespace (@recio/test-support), so files may run in parallel.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          name: 'int',
          // Unit tests first, then integration tests (different pools need their own group).
          sequence: { groupOrder: 1 },
          include: ['*/src/**/*.int.test.ts', 'services/*/src/**/*.int.test.ts'],
          exclude: ['e2e/**', '**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          globalSetup: ['test-support/src/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          // Last and alone: the whole platform's processes take both cores, which would make
          // the integration tests' timing-sensitive parts wait.
          sequence: { groupOrder: 2 },
          include: ['e2e/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 900_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 1,
          globalSetup: ['test-support/src/global-setup.ts'],
        },
      },
    ],
  },
});
