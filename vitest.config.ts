import { defineConfig } from 'vitest/config';

// The tiers run by `make test`: colocated unit tests (*.test.ts), integration tests
// (*.int.test.ts) against real Redis and PostgreSQL, and the e2e trading days. Integration files
// each get their own database and key namespace (@recio/test-support), so files may run in
// parallel. `make chaos` runs the fourth, the fault table (*.chaos.test.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.chaos.test.ts', '**/node_modules/**', '**/dist/**'],
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
      {
        test: {
          // `make chaos` only: the day once per fault (10-15 min), too long for `make test`.
          name: 'chaos',
          include: ['e2e/**/*.chaos.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 1_200_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 1,
          globalSetup: ['test-support/src/global-setup.ts'],
        },
      },
    ],
  },
});
