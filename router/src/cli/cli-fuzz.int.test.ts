import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { exited, startCli } from '../../test/support/cli.js';

// Property-based: whatever the command line (known commands and options with generated values,
// unknown ones, stray words), `recio` exits 0, 1 or 2; a failure is one line on stderr,
// `recio: <CODE>: <message>`, never a stack trace. Each run is a real process, so the runs are few.
// The long-running commands (relay, tail) are stopped with SIGTERM if they start: they must then
// exit cleanly too.
describe('recio CLI under generated command lines', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const channel = `trades:${uniqueName()}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, REDIS_URL };
  });
  afterAll(async () => {
    await db.drop();
  });

  const value = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('', '-1', '0', '1', '99999999999999999999', 'seq:1', 'seq:x', '2026-01-01T00:00:00Z', 'tomorrow'),
    fc.constantFrom(channel, 'trades:*', 'nope', 'trades:', 'trades:a b', '{"n":1}', '{', 'null', '[]'),
  );
  const options = ['--channel', '--type', '--data', '--since', '--limit', '--group', '--id', '--tolerance', '--repair'];
  const argv = fc.tuple(
    fc.constantFrom('publish', 'replay', 'tail', 'relay', 'check', 'dlq', 'migrate', 'users', 'nonsense', '--help', ''),
    fc.array(
      fc.oneof(
        fc.constantFrom(
          ...options,
          'list',
          'replay',
          '--metrics-port',
          '--unknown',
          'add',
          'passwd',
          'disable',
          '--admin',
        ),
        value,
      ),
      {
        maxLength: 6,
      },
    ),
  );

  it('exits 0, 1 or 2 with one line saying why, never a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async ([command, rest]) => {
        const args = command === '' ? rest : [command, ...rest];
        const child = startCli(args, env);
        // relay and tail run until stopped: a start is stopped the way an operator would
        const stop = setTimeout(() => child.kill('SIGTERM'), 3_000);
        const run = await exited(child);
        clearTimeout(stop);
        const label = `recio ${args.join(' ')}`;
        expect([0, 1, 2], `${label}: ${run.stderr}`).toContain(run.code);
        expect(run.stderr, label).not.toMatch(/\n\s+at /);
        if (run.code !== 0 && run.stderr.trim() !== '') {
          const lines = run.stderr.trim().split('\n');
          expect(lines.at(-1), label).toMatch(/^recio: [A-Z][A-Z_]*: /);
        }
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
