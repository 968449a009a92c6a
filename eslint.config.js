// One lint configuration for every workspace (ESLint flat config, typescript-eslint with type
// information from each workspace's tsconfig.test.json, which covers src/ and test/). Formatting is
// Prettier's alone (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'charts/**', '.recio/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./*/tsconfig.test.json', './services/*/tsconfig.test.json', './services/main-app/web/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Sources import `./x.js` for `./x.ts` (NodeNext): resolve those to the TypeScript file.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // Fastify handlers and interface implementations are async by contract, awaiting or not.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name`: deliberately unused (a destructured element skipped, a parameter kept for its position).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // A workspace reaches another only through its package name (its public entry point).
      'import-x/no-relative-packages': 'error',
    },
  },
  {
    // Tests read untyped JSON from real servers (HTTP bodies, Redis replies, synthesized charts);
    // their assertions are the check, so `any` flowing through them is not reported.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/src/testing.ts', 'test-support/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JavaScript and the root's tool configuration: no tsconfig covers them.
    files: ['**/*.js', '**/*.mjs', 'vitest.config.ts', '*/vitest.*.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: false, projectService: false },
      globals: globals.node,
    },
  },
  prettier,
);
