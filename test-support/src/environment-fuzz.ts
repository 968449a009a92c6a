import * as fc from 'fast-check';
import { expect } from 'vitest';

/** What environment values are generated from: edges, near-misses and noise. */
const ENV_VALUE = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e309', 'NaN', 'true', 'x'.repeat(5_000), '\u0000', 'ü', '../..'),
  fc.constantFrom('redis://', 'postgres://', 'http://h:1', 'ws://h:99999', 'redis://127.0.0.1:6379', 'h:1,h:2'),
  fc.integer().map(String),
);

/**
 * Property: whatever `names` hold (each set to a generated value, or left unset, over `base`), `load`
 * either returns a configuration or throws an error with a stable `code` (`expectedCode`) whose
 * message names the variable it is about: never a TypeError, never a crash, never a message that
 * leaves the operator guessing.
 */
export function assertEnvironmentTotal(
  load: (env: NodeJS.ProcessEnv) => unknown,
  base: Record<string, string>,
  names: readonly string[],
  expectedCode: string,
  numRuns = 300,
): void {
  const env = fc.dictionary(fc.constantFrom(...names), fc.option(ENV_VALUE, { nil: undefined }), { maxKeys: 4 });
  fc.assert(
    fc.property(env, (overrides) => {
      const merged: NodeJS.ProcessEnv = { ...base, ...overrides };
      let error: unknown;
      try {
        load(merged);
        return;
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: expectedCode });
      const message = (error as Error).message;
      expect(
        [...names, ...Object.keys(base)].some((n) => message.includes(n)),
        message,
      ).toBe(true);
    }),
    { numRuns },
  );
}
