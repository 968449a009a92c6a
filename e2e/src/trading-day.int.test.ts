import { afterAll, describe, expect, it } from 'vitest';
import { compareToCalm, HOURS, runDay, type DayResult } from './harness/day.js';
import { exchangeFaults, EXCHANGE_FAULTS, KILLABLE_SERVICES, killServices } from './harness/faults.js';
import type { PlatformRun } from './harness/platform-run.js';

// The day undisturbed, then under the two faults that hit it all day long: services SIGKILLed and
// the exchange failing. Each must end as the calm day did. `make chaos` runs the other faults
// (servers down, restarted empty, failed over) and prints the table (fault-table.chaos.test.ts).
const DAY_TIMEOUT_MS = 15 * 60_000;

describe('a trading day on the paper world', () => {
  const runs: PlatformRun[] = [];
  let calm: DayResult;
  /**
   * A disturbed day ended as the calm one: no dead letter, the same trades, ledgers, mirror and
   * events, Redis converged to PostgreSQL, and no key refused to a service's ACL user.
   */
  const expectCalmDay = (day: DayResult): void => {
    expect(day.aclDenials).toEqual([]);
    expect(day.unconverged).toEqual([]);
    expect(day.outcome.deadLetters).toBe(0);
    expect(day.outcome.trades).toEqual(calm.outcome.trades);
    expect(day.outcome.ledgers).toEqual(calm.outcome.ledgers);
    expect(day.outcome.mirror).toEqual(calm.outcome.mirror);
    expect(day.outcome.eventsByType).toEqual(calm.outcome.eventsByType);
    // ... which is what the fault table reports (so `make chaos`'s yes means this).
    expect(compareToCalm(day, calm)).toEqual({ eventsLost: 0, appliedTwice: 0, sameAsCalm: true, differences: [] });
  };

  afterAll(async () => {
    for (const run of runs) await run.close();
  });

  it(
    'enters, stops, expires and settles, with pnl to the cent against the exchange and every event kept',
    async () => {
      calm = await runDay('calm', runs);
      const { outcome, run } = calm;
      // Every service ran as its own Redis ACL user with the charts' rules, and none was refused a key.
      expect(calm.aclDenials).toEqual([]);
      const trades = outcome.trades;
      expect(outcome.deadLetters).toBe(0);
      expect(trades.filter((t) => t.entryMethod === 'auto').length).toBeGreaterThan(0);
      expect(trades.filter((t) => t.closeMethod === 'auto').length).toBeGreaterThan(0);
      expect(trades.filter((t) => t.closeMethod === 'expired').length).toBeGreaterThan(0);
      for (const t of trades) expect(['closed', 'cancelled', 'error'], `${t.id} ${t.status}`).toContain(t.status);

      for (const [user, ledger] of outcome.ledgers) {
        const mine = trades.filter((t) => t.userId === user);
        // Every contract the exchange moved is a trade's: the entry order is the trade's id.
        const orders = new Map(ledger.orders.map((o) => [o.client_order_id, o]));
        for (const t of mine.filter((x) => x.buyPriceCents !== null)) {
          const entry = orders.get(t.id);
          expect(entry, `entry order of ${t.id}`).toBeDefined();
          expect(entry!.fill_count).toBe(t.count);
          expect(entry!.taker_fill_cost).toBe(t.buyPriceCents! * t.count);
        }
        // Fees: the exchange's, summed over the user's orders; pnl: the balance it moved.
        const fees = ledger.orders.reduce((sum, o) => sum + (o.taker_fees ?? 0), 0);
        expect(mine.reduce((sum, t) => sum + t.feesCents, 0)).toBe(fees);
        const pnl = mine.reduce((sum, t) => sum + (t.pnlCents ?? 0), 0);
        expect(pnl, `${user}: sum of trade pnl vs balance change`).toBe(ledger.balance - ledger.starting_balance);
        expect(ledger.positions.filter((p) => p.position !== 0)).toEqual([]);
        expect(outcome.mirror.get(user)).toEqual({ balanceCents: ledger.balance, positions: [] });
      }

      // PostgreSQL holds every event, gapless, and Redis converged to it.
      expect(calm.unconverged).toEqual([]);
      const { rows } = await run.db.query<{ n: number }>('SELECT count(*)::int AS n FROM channel_head');
      expect(rows[0]!.n).toBeGreaterThan(5);
      // One price per tick, the start's included: published to Redis only (latest-value, not in
      // event_log), and all in the price history, which is written in batches.
      expect(outcome.eventsByType['price.tick']).toBeUndefined();
      await expect
        .poll(async () => (await run.db.query<{ n: number }>('SELECT count(*)::int AS n FROM price_tick')).rows[0]!.n, {
          timeout: 30_000,
        })
        .toBe(HOURS * 60 + 5 + 1);
      // Each fill and settlement the exchange made was announced exactly once.
      const fills = [...outcome.ledgers.values()].reduce((n, l) => n + l.fills.length, 0);
      const settlements = [...outcome.ledgers.values()].reduce((n, l) => n + l.settlements.length, 0);
      expect(outcome.eventsByType['fill.recorded']).toBe(fills);
      expect(outcome.eventsByType['settlement.recorded']).toBe(settlements);

      // The price drop tripped each trader's spike guard, which the page shows from system:health:
      // told when it paused and when it resumed, and no auto entry was asked for in between.
      const { rows: events } = await run.db.query<{ type: string; data: Record<string, any> }>(
        `SELECT type, data FROM event_log
         WHERE (channel = 'system:health' AND data->>'component' = 'spike-guard')
            OR (type = 'trade.open_requested' AND data->>'entryMethod' = 'auto')
         ORDER BY created_at, channel, seq`,
      );
      const paused = new Map<string, number | null>();
      let pauses = 0;
      let resumes = 0;
      for (const { type, data } of events) {
        if (type === 'health.changed') {
          if (data.status === 'paused' && !paused.has(data.userId)) pauses += 1;
          if (data.status === 'up') {
            expect(paused.has(data.userId), `${data.userId} resumed without a pause`).toBe(true);
            resumes += 1;
            paused.delete(data.userId);
          } else paused.set(data.userId, data.resumesAt);
        } else expect(paused.has(data.userId), `auto entry for ${data.userId} while paused`).toBe(false);
      }
      expect(pauses).toBeGreaterThan(0);
      expect(resumes).toBeGreaterThan(0);
      await run.close(); // its ports are the next run's
    },
    DAY_TIMEOUT_MS,
  );

  it(
    'ends the same with a random service killed every few seconds',
    async () => {
      expect(calm, 'the undisturbed run').toBeDefined();
      const day = await runDay('chaos', runs, killServices);
      const kills = day.faults.length;
      expect(new Set(day.faults.map((f) => f.what)).size).toBe(KILLABLE_SERVICES);
      const restarts = day.run.supervisor.status().reduce((sum, p) => sum + p.restarts, 0);
      expect(restarts).toBeGreaterThanOrEqual(kills);
      expect(day.faults.every((f) => f.recoveredAt !== undefined)).toBe(true);
      expectCalmDay(day);
      await day.run.close(); // its ports are the next run's
    },
    DAY_TIMEOUT_MS,
  );

  it(
    'ends the same with the exchange losing replies, timing out, failing in bursts and answering twice',
    async () => {
      expect(calm, 'the undisturbed run').toBeDefined();
      const day = await runDay('faults', runs, exchangeFaults());
      expect(new Set(day.faults.map((f) => f.what)).size).toBe(EXCHANGE_FAULTS.length);
      // Every position accounted for: the same trades, orders, fills, balances and mirror as the calm day.
      expectCalmDay(day);
    },
    DAY_TIMEOUT_MS,
  );
});
