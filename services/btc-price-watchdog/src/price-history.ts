import type { PricePoint } from '@recio/domain';
import type { Pool } from 'pg';

const DAY_MS = 86_400_000;

/**
 * The stored prices of the last day and a bit, in memory and sorted, for momentum, volatility
 * and the 1 h / 3 h / 1 d changes: computing them needs no query. Loaded once at start.
 */
export class PriceHistory {
  readonly points: PricePoint[] = [];
  readonly #keepMs: number;

  constructor(keepMs = DAY_MS + 3_600_000) {
    this.#keepMs = keepMs;
  }

  /** Loads the newest `keepMs` of stored prices (relative to the newest one: feed time may be simulated). */
  async load(pool: Pool, symbol: string): Promise<void> {
    const { rows } = await pool.query<{ ts: Date; price: string }>(
      `SELECT ts, price FROM price_tick
        WHERE symbol = $1 AND ts >= (SELECT max(ts) FROM price_tick WHERE symbol = $1) - make_interval(secs => $2::double precision / 1000)
        ORDER BY ts`,
      [symbol, this.#keepMs],
    );
    this.points.length = 0;
    for (const r of rows) this.points.push({ ts: r.ts.getTime(), price: Number(r.price) });
  }

  /** The newest point's time, or null. */
  get lastTs(): number | null {
    return this.points.at(-1)?.ts ?? null;
  }

  /** Appends a newer point and forgets what fell out of the window. */
  add(point: PricePoint): void {
    const last = this.points.at(-1);
    if (last && point.ts <= last.ts) return;
    this.points.push(point);
    const horizon = point.ts - this.#keepMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop]!.ts < horizon) drop += 1;
    if (drop > 0) this.points.splice(0, drop);
  }
}
