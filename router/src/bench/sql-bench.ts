import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INSERT_EVENT_STATEMENT } from '../sql/insert-events.js';
import { order, type E2eBenchContext } from './e2e-bench.js';
import type { E2eMode } from './e2e-protocol.js';
import { serverCpu } from './server-cpu.js';

/** What the PostgreSQL-alone figures need from the bench's set-up (as the end-to-end part's). */
export type SqlBenchContext = Pick<
  E2eBenchContext,
  'pool' | 'redis' | 'databaseUrl' | 'prefix' | 'durationMs' | 'row' | 'note'
>;

type Side = E2eMode;

const run = promisify(execFile);
const CLIENTS = 8;
const CHANNELS = 100;

/**
 * PostgreSQL alone: the publish path's statements, without Node, Redis or the router's client work,
 * driven by pgbench (8 clients, prepared statements, closed loop). The floor's transaction is the
 * end-to-end bench's outbox (BEGIN; business INSERT; outbox INSERT; COMMIT), recio's the same
 * business INSERT and the router's own one-event insert (`INSERT_EVENT_STATEMENT`: the channel's head
 * moved and the event_log row written). pgbench sends each statement in a round trip of its own, where
 * the router sends two per transaction, so this measures what the statements cost the server, not
 * the round trips. Both sides' event ids are gen_random_uuid()'s (v4; the router's are time-ordered
 * v7, whose inserts cost the key less once a table has grown; these start empty). Skipped, with a
 * note, where pgbench is not installed.
 */
export async function sqlBench(ctx: SqlBenchContext): Promise<void> {
  try {
    await run('pgbench', ['--version']);
  } catch {
    ctx.note('PostgreSQL alone: not measured (pgbench not found; it comes with the PostgreSQL server packages).');
    return;
  }
  await ctx.pool.query(`CREATE TABLE sql_order (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k bigint NOT NULL,
    channel text NOT NULL, qty integer NOT NULL, price numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await ctx.pool.query(`CREATE TABLE sql_outbox (event_id uuid PRIMARY KEY, channel text NOT NULL, type text NOT NULL,
    data json NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);

  // pgbench reads `:name` anywhere in a statement as a variable, inside literals too: the channel's
  // colon is chr(58), and the data has none followed by a letter.
  const channel = `'trades' || chr(58) || '${ctx.prefix}S_' || CAST(:c AS text)`;
  const data = `'{"k": 1, "symbol": "BTC-USD", "side": "yes", "qty": 3, "price": 0.42}'`;
  const business = `INSERT INTO sql_order (k, channel, qty, price) VALUES (CAST(:k AS bigint), ${channel}, 3, 0.42);`;
  const values: Record<string, string> = {
    $1: 'gen_random_uuid()',
    $2: channel,
    $3: `'order.placed'`,
    $4: data,
    $5: `'bench'`,
  };
  const event = INSERT_EVENT_STATEMENT.text.replace(/\$[1-5]\b/g, (p) => values[p]!).replace(/\s+/g, ' ');
  const scripts: Record<Side, string> = {
    raw: `INSERT INTO sql_outbox (event_id, channel, type, data) VALUES (gen_random_uuid(), ${channel}, 'order.placed', ${data});`,
    recio: `${event.trim()};`,
  };

  const dir = await mkdtemp(join(tmpdir(), 'recio-sql-bench-'));
  try {
    const files = {} as Record<Side, string>;
    for (const side of ['raw', 'recio'] as const) {
      files[side] = join(dir, `${side}.sql`);
      const lines = [
        '\\set k random(1, 1000000000)',
        `\\set c random(0, ${CHANNELS - 1})`,
        'BEGIN;',
        business,
        scripts[side],
        'COMMIT;',
      ];
      await writeFile(files[side], lines.join('\n') + '\n');
    }
    const seconds = Math.max(1, Math.round(ctx.durationMs / 2000));
    const phase = async (side: Side): Promise<{ tps: number; machineUs: number }> => {
      const before = await serverCpu(ctx.redis, ctx.databaseUrl);
      const { stdout } = await run('pgbench', [
        '--no-vacuum',
        `--client=${CLIENTS}`,
        '--jobs=2',
        `--time=${seconds}`,
        '--protocol=prepared',
        `--file=${files[side]}`,
        ctx.databaseUrl,
      ]);
      const after = await serverCpu(ctx.redis, ctx.databaseUrl);
      const done = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
      const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
      if (!(done > 0) || failed > 0 || !(tps > 0)) throw new Error(`pgbench (${side}) did not run cleanly:\n${stdout}`);
      const machineMs =
        before.machineMs === null || after.machineMs === null ? Number.NaN : after.machineMs - before.machineMs;
      return { tps, machineUs: (machineMs * 1000) / done };
    };
    // Alternated, as the other parts' phases: both sides see the same drift of the machine.
    const phases: { side: Side; tps: number; machineUs: number }[] = [];
    for (const side of order(4)) phases.push({ side, ...(await phase(side)) });
    const mean = (side: Side, key: 'tps' | 'machineUs'): number => {
      const of = phases.filter((p) => p.side === side);
      return of.reduce((sum, p) => sum + p[key], 0) / of.length;
    };
    ctx.row(
      `PostgreSQL alone (pgbench, ${CLIENTS} clients, prepared): publishing transactions/s`,
      mean('raw', 'tps'),
      mean('recio', 'tps'),
      'tx/s',
    );
    if (!Number.isNaN(mean('recio', 'machineUs')))
      ctx.row(
        "PostgreSQL alone: the machine's busy CPU per transaction, pgbench's own included (µs)",
        mean('raw', 'machineUs'),
        mean('recio', 'machineUs'),
        'µs',
      );
    ctx.note(
      `PostgreSQL alone, each phase in the order run (tx/s): ${phases.map((p) => `${p.side} ${Math.round(p.tps)}`).join(', ')}.`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
