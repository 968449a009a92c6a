import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { exited, runCli, startCli } from '../../test/support/cli.js';

let db: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, REDIS_URL };
});

afterAll(async () => {
  await db.drop();
});

describe('recio CLI', () => {
  it('publishes, then replays by seq and by time as JSON lines', async () => {
    const channel = `trades:${uniqueName()}`;
    const published = [];
    for (const n of [1, 2, 3]) {
      const run = await runCli(
        ['publish', '--channel', channel, '--type', 'trade.opened', '--data', JSON.stringify({ n })],
        env,
      );
      expect(run.code).toBe(0);
      published.push(JSON.parse(run.stdout));
    }
    expect(published.map((e) => e.seq)).toEqual([1, 2, 3]);

    const bySeq = await runCli(['replay', '--channel', channel, '--since', 'seq:2'], env);
    expect(bySeq.code).toBe(0);
    expect(
      bySeq.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(published.slice(1));

    const byTime = await runCli(
      ['replay', '--channel', channel, '--since', '2020-01-01T00:00:00Z', '--limit', '2'],
      env,
    );
    expect(
      byTime.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(published.slice(0, 2));
  });

  it('tails a channel live, after printing what came since a seq', async () => {
    const channel = `positions:${uniqueName()}`;
    await runCli(['publish', '--channel', channel, '--type', 't', '--data', '{"n":1}'], env);
    await runCli(['publish', '--channel', channel, '--type', 't', '--data', '{"n":2}'], env);
    const child = startCli(['tail', '--channel', channel, '--since', 'seq:2'], env);
    await expect.poll(() => child.output.stdout.trim().split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(1);
    await runCli(['publish', '--channel', channel, '--type', 't', '--data', '{"n":3}'], env);
    await expect
      .poll(
        () =>
          child.output.stdout
            .trim()
            .split('\n')
            .map((l) => l && JSON.parse(l).data.n),
        { timeout: 10_000 },
      )
      .toEqual([2, 3]);
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
  });

  it('migrates idempotently', async () => {
    const run = await runCli(['migrate'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ applied: [] });
  });

  const bad: [string, string[], Record<string, string>, number, string][] = [
    ['no command', [], {}, 2, ''],
    ['an unknown command', ['frobnicate'], {}, 2, 'recio: USAGE: unknown command'],
    ['an unknown option', ['replay', '--channel', 'trades:a', '--since', 'seq:1', '--bogus'], {}, 2, 'recio: USAGE:'],
    ['a missing option', ['publish', '--type', 't', '--data', '{}'], {}, 2, 'recio: USAGE: --channel is required'],
    [
      'malformed JSON',
      ['publish', '--channel', 'trades:a', '--type', 't', '--data', '{oops'],
      {},
      1,
      'recio: INVALID_EVENT: --data is not valid JSON',
    ],
    [
      'an unknown channel class',
      ['publish', '--channel', 'nope:a', '--type', 't', '--data', '{}'],
      {},
      1,
      'recio: INVALID_CHANNEL:',
    ],
    ['a bad channel syntax', ['replay', '--channel', 'trades', '--since', 'seq:1'], {}, 1, 'recio: INVALID_CHANNEL:'],
    [
      'a bad date',
      ['replay', '--channel', 'trades:a', '--since', 'yesterday'],
      {},
      2,
      'recio: USAGE: --since must be an ISO-8601',
    ],
    [
      'an impossible date',
      ['replay', '--channel', 'trades:a', '--since', '2025-13-45T00:00:00Z'],
      {},
      2,
      'recio: USAGE:',
    ],
    ['tail without a channel', ['tail'], {}, 2, 'recio: USAGE: --channel is required'],
    [
      'tail --since on a pattern',
      ['tail', '--channel', 'trades:*', '--since', 'seq:1'],
      {},
      2,
      'recio: USAGE: --since takes seq:N',
    ],
    ['a bad limit', ['replay', '--channel', 'trades:a', '--since', 'seq:1', '--limit', '-3'], {}, 2, 'recio: USAGE:'],
    ['a bad tolerance', ['check', '--tolerance', 'many'], {}, 2, 'recio: USAGE: --tolerance'],
    ['a bad DATABASE_URL', ['check'], { DATABASE_URL: 'mysql://x' }, 1, 'recio: INVALID_CONFIG: DATABASE_URL'],
    [
      'two Redis topologies',
      ['check'],
      { REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
      1,
      'recio: INVALID_CONFIG: set only one',
    ],
    [
      'a bad sentinel list',
      ['check'],
      { REDIS_URL: '', REDIS_SENTINELS: 'nohostport' },
      1,
      'recio: INVALID_CONFIG: REDIS_SENTINELS',
    ],
  ];
  it.each(bad)('rejects %s with one line and a non-zero exit', async (_name, args, extraEnv, code, message) => {
    const run = await runCli(args, { ...env, ...extraEnv });
    expect(run.code).toBe(code);
    if (message) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(message);
    }
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
