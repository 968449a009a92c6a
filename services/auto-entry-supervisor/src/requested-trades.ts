/**
 * Trade ids this process requested (`trade.open_requested`) in a transaction that committed, until
 * a later event of the trade reaches its handler. The entry transaction that requested a trade also recorded it
 * in `auto_entry_live_trade`, and `trade.created` is the first event of a trade (the trade manager
 * publishes it with the trade's row; every other trade event needs that row): so when it comes, the
 * row is still there and recording it again would change nothing (ConsumeOptions.ignores). What it
 * says is about its own commits only, so it holds whichever member of the group gets the event.
 *
 * Bounded: a request the trade manager refused never gets its `trade.created`; past `max` ids the
 * oldest are forgotten (a forgotten id costs one idempotent insert, nothing else).
 */
export class RequestedTrades {
  readonly #ids = new Set<string>();

  constructor(private readonly max = 10_000) {}

  /** After the entry transaction committed. */
  add(tradeId: string): void {
    this.#ids.add(tradeId);
    if (this.#ids.size > this.max) this.#ids.delete(this.#ids.values().next().value!);
  }

  /** Whether `tradeId` was requested here and not forgotten since. */
  has(tradeId: string): boolean {
    return this.#ids.has(tradeId);
  }

  /** Forgets `tradeId` (an event of the trade after `trade.created` came). */
  forget(tradeId: string): void {
    this.#ids.delete(tradeId);
  }

  get size(): number {
    return this.#ids.size;
  }
}
