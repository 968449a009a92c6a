import { closedTradePnl, settledTradePnl, transition, type TradeEvent as Lifecycle } from '@recio/domain';
import {
  TradeSnapshot,
  type CloseRequest,
  type OpenRequest,
  type OrderFilled,
  type OrderRejected,
  type PlatformEvents,
  type SettlementRecord,
  type TradeStatus,
} from '@recio/platform';
import type { RedisClient } from '@recio/router';
import { VersionedState, type PlatformTransaction, type Reader } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import {
  confirmEntry,
  expiredTradesOf,
  insertTrade,
  nextDue,
  knownSettlement,
  lockTrade,
  markEntryUnconfirmed,
  markSettlementOverdue,
  rememberSettlement,
  saveTrade,
  tradesDue,
  type KnownSettlement,
} from './trade-store.js';

/** Options of {@link TradeBook}. */
export interface TradeBookOptions {
  logger: Logger;
  /** A pending trade whose entry order has no outcome this long (feed time) is cancelled. */
  pendingTimeoutMs: number;
  /** A closing trade whose order has no outcome this long (feed time) is asked about again. */
  closeTimeoutMs: number;
  /** An expired trade without a settlement this long raises a health event. */
  settlementOverdueMs: number;
  /** Where the realized pnl is counted (the service's registry). */
  registry: Registry;
  /**
   * Where the group's state version lives (see VersionedState): with it, a tick before the next
   * time anything falls due costs PostgreSQL nothing; without it (tests of the book alone) every
   * tick asks.
   */
  redis?: RedisClient;
  /** Where that next due time is read (poolReader: no transaction). */
  reader?: Reader;
}

/** Why a request was refused; the REST API turns it into 404/409. */
export class TradeRequestError extends Error {
  readonly code: 'TRADE_NOT_FOUND' | 'ILLEGAL_TRANSITION' | 'FORBIDDEN' | 'TRADE_CONFLICT';
  constructor(code: TradeRequestError['code'], message: string) {
    super(message);
    this.name = 'TradeRequestError';
    this.code = code;
  }
}

/** The trade events that carry the trade's snapshot (`{ trade }`): what the book publishes. */
type SnapshotEventType = Extract<PlatformEvents['trades'], { data: { trade: unknown } }>['type'];

const EVENT_OF: Record<TradeSnapshot['status'], SnapshotEventType> = {
  pending: 'trade.created',
  open: 'trade.opened',
  closing: 'trade.closing',
  closed: 'trade.closed',
  expired: 'trade.expired',
  error: 'trade.error',
  cancelled: 'trade.cancelled',
};

/**
 * The trade state machine applied to stored trades: every method runs inside the caller's
 * transaction, locks the trade, applies @recio/domain's `transition`, saves the row and publishes
 * the snapshot on `trades:<user>` — so a trade's row and its event always commit together.
 */
export class TradeBook {
  readonly #o: TradeBookOptions;
  readonly #pnl: Counter<'direction'>;
  readonly #ended: Counter<'method' | 'result'>;
  /** The feed time at which a tick first has something to do (null: nothing live), kept between changes. */
  readonly #nextDue: VersionedState<number | null> | undefined;

  constructor(options: TradeBookOptions) {
    this.#o = options;
    this.#nextDue =
      options.redis &&
      options.reader &&
      new VersionedState({
        group: 'trade-manager',
        redis: options.redis,
        logger: options.logger,
        load: () => nextDue(options.reader!, options),
      });
    this.#pnl = new Counter({
      name: 'recio_realized_pnl_usd_total',
      help: 'Realized pnl of the trades closed or settled, in dollars after fees: gains and losses counted apart (a counter cannot fall)',
      labelNames: ['direction'],
      registers: [options.registry],
    });
    for (const direction of ['gain', 'loss']) this.#pnl.inc({ direction }, 0);
    this.#ended = new Counter({
      name: 'recio_trades_ended_total',
      help: 'Trades closed or settled with a pnl, by how they ended (close method) and result (W/L)',
      labelNames: ['method', 'result'],
      registers: [options.registry],
    });
    // Every way a trade ends starts at 0 (the dashboard shows none ended rather than nothing).
    for (const method of TradeSnapshot.shape.closeMethod.unwrap().options)
      for (const result of TradeSnapshot.shape.winLoss.unwrap().options) this.#ended.inc({ method, result }, 0);
  }

  /** Creates a trade `pending` (idempotent on its id): the executor places its order on `trade.created`. */
  async open(tx: PlatformTransaction, request: OpenRequest): Promise<{ trade: TradeSnapshot; created: boolean }> {
    const trade = await insertTrade(tx, request);
    if (trade) {
      this.#publish(tx, trade, 'trade.created');
      return { trade, created: true };
    }
    const existing = await lockTrade(tx, request.tradeId);
    if (!existing || existing.userId !== request.userId)
      throw new TradeRequestError('FORBIDDEN', `trade ${request.tradeId} belongs to another request`);
    // The same id asks for the same order, or it is another request reusing an id: never the old trade.
    const differs = (['marketTicker', 'side', 'count', 'limitPriceCents', 'entryMethod'] as const).filter(
      (k) => existing[k] !== request[k],
    );
    if (differs.length > 0)
      throw new TradeRequestError(
        'TRADE_CONFLICT',
        `trade ${request.tradeId} was opened with other ${differs.join(', ')}: choose a new id for a new order`,
      );
    return { trade: existing, created: false };
  }

  /** open → closing; the executor places the closing order on `trade.closing`. */
  async requestClose(tx: PlatformTransaction, request: CloseRequest): Promise<TradeSnapshot> {
    const trade = await this.#lock(tx, request.tradeId, request.userId);
    if (trade.status === 'closing' && request.method === 'auto') return trade; // a repeated stop
    const next = this.#next(trade, { type: 'close_requested', method: request.method });
    return this.#save(tx, {
      ...trade,
      status: next,
      closeMethod: request.method,
      closeReason: request.reason,
      closeAttempts: trade.closeAttempts + 1,
      priceAtClose: request.priceAtClose,
      closingAt: request.requestedAt,
    });
  }

  /** The executor's fill: the entry opens the trade, a close closes it with its pnl. */
  async filled(tx: PlatformTransaction, fill: OrderFilled): Promise<TradeSnapshot | null> {
    const trade = await lockTrade(tx, fill.tradeId);
    if (!trade) return this.#orphan('fill', fill.tradeId);
    if (fill.leg === 'open') {
      const late = trade.status === 'cancelled';
      if (trade.status !== 'pending' && !late) return this.#stale(trade, 'entry fill');
      // A cancelled trade whose order filled after all (its reply was lost, the executor asked the
      // exchange): the position exists, so the trade opens and is supervised, expires and settles.
      return this.#save(tx, {
        ...trade,
        status: this.#next(trade, { type: late ? 'late_filled' : 'filled' }),
        statusReason: late ? `opened late: its entry order ${fill.orderId} filled after the trade was cancelled` : null,
        buyPriceCents: fill.priceCents,
        feesCents: trade.feesCents + fill.feesCents,
        openedAt: fill.filledAt,
        closedAt: null,
      });
    }
    if (trade.status !== 'closing' || fill.attempt !== trade.closeAttempts) return this.#stale(trade, 'close fill');
    const fees = trade.feesCents + fill.feesCents;
    const pnl = closedTradePnl({
      buyPriceCents: trade.buyPriceCents!,
      count: trade.count,
      oppositeFillPriceCents: fill.priceCents,
      fees,
    });
    return this.#realized(tx, {
      ...trade,
      status: this.#next(trade, { type: 'close_filled' }),
      closeFillCents: fill.priceCents,
      sellPriceCents: pnl.sellPriceCents,
      feesCents: fees,
      pnlCents: pnl.pnlCents,
      winLoss: pnl.winLoss,
      closedAt: fill.filledAt,
    });
  }

  /** The executor's rejection: an entry ends cancelled or error, a close leaves the trade open. */
  async rejected(tx: PlatformTransaction, rejection: OrderRejected): Promise<TradeSnapshot | null> {
    const trade = await lockTrade(tx, rejection.tradeId);
    if (!trade) return this.#orphan('rejection', rejection.tradeId);
    const reason = `${rejection.code}: ${rejection.message}`.slice(0, 500);
    if (rejection.leg === 'open') {
      // The executor's answer about a cancelled trade's entry (not filled, or never received): asked no more.
      if (trade.status === 'cancelled') {
        if (await confirmEntry(tx, trade.id))
          this.#o.logger.info({ tradeId: trade.id, code: rejection.code }, 'cancelled entry confirmed unfilled');
        return null;
      }
      if (trade.status !== 'pending') return this.#stale(trade, 'entry rejection');
      return this.#save(tx, {
        ...trade,
        status: this.#next(trade, { type: 'rejected', code: rejection.code }),
        statusReason: reason,
        closedAt: rejection.rejectedAt,
      });
    }
    if (trade.status !== 'closing' || rejection.attempt !== trade.closeAttempts)
      return this.#stale(trade, 'close rejection');
    return this.#save(
      tx,
      {
        ...trade,
        status: this.#next(trade, { type: 'close_rejected', reason }),
        statusReason: reason,
        closeMethod: null,
        closeReason: null,
        closingAt: null,
      },
      'trade.close_failed',
    );
  }

  /**
   * What a price tick at `at` makes due: expiry at the close, cancelled entries, closes to confirm
   * (a close with no outcome for the close timeout: the executor asks the exchange), entries of
   * trades cancelled for no outcome still unanswered (asked again), overdue settlements.
   */
  async tick(tx: PlatformTransaction, at: number, price: number): Promise<TradeSnapshot[]> {
    const next = await this.#nextDue?.get();
    if (next === null || (next !== undefined && at < next)) return []; // nothing falls due yet
    // Asked now: whatever it finds, the next due time is read again (a trade it moves bumps it too).
    if (this.#nextDue) tx.onCommit(() => void this.#nextDue!.changed());
    const changed: TradeSnapshot[] = [];
    const due = await tradesDue(tx, at, { pendingMs: this.#o.pendingTimeoutMs, closeMs: this.#o.closeTimeoutMs });
    for (const trade of due.transitions) {
      if (trade.status === 'open') {
        const expired = await this.#save(tx, {
          ...trade,
          status: this.#next(trade, { type: 'hour_closed' }),
          expiredAt: trade.marketCloseAt,
          priceAtClose: price,
        });
        // The settlement may have come first (it races the tick): then it closes the trade now.
        const settlement = await knownSettlement(tx, trade.userId, trade.marketTicker);
        changed.push(settlement ? await this.#settleOne(tx, expired, settlement) : expired);
      } else {
        changed.push(
          await this.#save(tx, {
            ...trade,
            status: this.#next(trade, { type: 'timed_out' }),
            statusReason: 'timeout: the entry order had no outcome',
            closedAt: at,
          }),
        );
        // Its order may have filled: asked about on trade.cancelled, and again until the exchange answers.
        await markEntryUnconfirmed(tx, trade.id);
      }
    }
    for (const trade of due.unconfirmedEntries) {
      this.#publish(tx, trade, 'trade.entry_unconfirmed', trade.status); // no transition: from = to
      this.#degraded(
        tx,
        'trade-manager',
        trade,
        at,
        `entry of trade ${trade.id} unconfirmed ${Math.round((at - (trade.closedAt ?? at)) / 1000)} s after it was cancelled`,
      );
    }
    for (const { trade, checkedBefore } of due.unconfirmedCloses) {
      this.#publish(tx, trade, 'trade.close_unconfirmed', trade.status); // no transition: from = to
      // Asked once already and still closing: the exchange has not answered; say so.
      if (checkedBefore)
        this.#degraded(
          tx,
          'trade-manager',
          trade,
          at,
          `close ${trade.closeAttempts} of trade ${trade.id} unconfirmed ${Math.round((at - trade.closingAt!) / 1000)} s after it was asked for`,
        );
    }
    // A 30-minute deadline needs no per-second check: once per minute of feed time.
    if (at % 60_000 >= 1_000) return changed;
    for (const trade of await markSettlementOverdue(tx, at, this.#o.settlementOverdueMs)) {
      this.#degraded(
        tx,
        'settlement',
        trade,
        at,
        `no settlement for ${trade.marketTicker} (trade ${trade.id}) ${Math.round(this.#o.settlementOverdueMs / 60_000)} min after expiry`,
      );
    }
    return changed;
  }

  /**
   * A settlement closes the user's expired trades on that market. It is remembered, so a trade
   * still open (its expiring tick not yet handled) is closed when it expires: either order of
   * tick and settlement gives the same rows and the same events.
   */
  async settle(tx: PlatformTransaction, userId: string, s: SettlementRecord): Promise<TradeSnapshot[]> {
    const known: KnownSettlement = { marketResult: s.marketResult, settledAt: s.settledAt };
    await rememberSettlement(tx, userId, s.ticker, known);
    const closed: TradeSnapshot[] = [];
    for (const trade of await expiredTradesOf(tx, userId, s.ticker))
      closed.push(await this.#settleOne(tx, trade, known));
    return closed;
  }

  async #settleOne(tx: PlatformTransaction, trade: TradeSnapshot, s: KnownSettlement): Promise<TradeSnapshot> {
    const pnl = settledTradePnl({
      buyPriceCents: trade.buyPriceCents!,
      count: trade.count,
      paidOut: s.marketResult === trade.side,
      fees: trade.feesCents,
    });
    return this.#realized(tx, {
      ...trade,
      status: this.#next(trade, { type: 'settled' }),
      closeMethod: 'expired',
      sellPriceCents: pnl.sellPriceCents,
      pnlCents: pnl.pnlCents,
      winLoss: pnl.winLoss,
      closedAt: s.settledAt,
    });
  }

  async #lock(tx: PlatformTransaction, id: string, userId: string): Promise<TradeSnapshot> {
    const trade = await lockTrade(tx, id);
    if (!trade || trade.userId !== userId)
      throw new TradeRequestError('TRADE_NOT_FOUND', `no trade ${id} for ${userId}`);
    return trade;
  }

  #next(trade: TradeSnapshot, event: Lifecycle): TradeSnapshot['status'] {
    try {
      return transition(trade.status, event);
    } catch (err) {
      throw new TradeRequestError('ILLEGAL_TRANSITION', (err as Error).message);
    }
  }

  async #save(tx: PlatformTransaction, trade: TradeSnapshot, type = EVENT_OF[trade.status]): Promise<TradeSnapshot> {
    const from = await saveTrade(tx, trade);
    this.#publish(tx, trade, type, from);
    return trade;
  }

  // A trade that ends with its pnl: saved, and counted once its transaction commits (a handler
  // retried after a rollback would count it twice otherwise).
  async #realized(tx: PlatformTransaction, trade: TradeSnapshot): Promise<TradeSnapshot> {
    const saved = await this.#save(tx, trade);
    const cents = trade.pnlCents ?? 0;
    tx.onCommit(() => {
      this.#pnl.inc({ direction: cents >= 0 ? 'gain' : 'loss' }, Math.abs(cents) / 100);
      this.#ended.inc({ method: trade.closeMethod ?? 'unknown', result: trade.winLoss ?? 'unknown' });
    });
    return saved;
  }

  /** Publishes a trade event; `from` is the status the stored row had before (none: a new trade). */
  #publish(tx: PlatformTransaction, trade: TradeSnapshot, type: SnapshotEventType, from?: TradeStatus): void {
    // A trade changed: when the next one falls due is read again by every replica after the commit.
    if (this.#nextDue) tx.onCommit(() => void this.#nextDue!.changed());
    tx.publish(`trades:${trade.userId}`, type, from === undefined ? { trade } : { trade, from });
  }

  /** A notice on `system:health` naming the trade's user: something about its trade waits on the exchange. */
  #degraded(tx: PlatformTransaction, component: string, trade: TradeSnapshot, at: number, detail: string): void {
    tx.publish('system:health', 'health.changed', {
      component,
      userId: trade.userId,
      status: 'degraded',
      previous: null,
      detail,
      at,
    });
  }

  // A report for a trade that already moved on (a repeat, or a fill after a timeout): logged, no change.
  #stale(trade: TradeSnapshot, what: string): null {
    this.#o.logger.warn(
      { tradeId: trade.id, status: trade.status, what },
      'report for a trade in another state; ignored',
    );
    return null;
  }

  #orphan(what: string, tradeId: string): null {
    this.#o.logger.error({ tradeId, what }, 'report for an unknown trade; ignored');
    return null;
  }
}
