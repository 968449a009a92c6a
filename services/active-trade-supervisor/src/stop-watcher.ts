import {
  DEFAULT_SETTINGS,
  parseMarketTicker,
  stopDecision,
  type MarketQuote,
  type Settings,
  type StopAction,
} from '@recio/domain';
import type { CloseRequest, PriceTick } from '@recio/platform';
import type { RecioEvent } from '@recio/router';
import {
  isStaleTick,
  type PlatformTransaction,
  type TickReactorOptions,
  type VersionedState,
} from '@recio/service-kit';
import { Counter } from 'prom-client';
import { markTrade, watchedTrades, type SupervisedTrade } from './supervised-trades.js';

const STOP_ACTIONS: readonly StopAction[] = ['hold', 'start_verification', 'cancel_verification', 'close'];

/** Options of {@link StopWatcher}. */
export interface StopWatcherOptions extends TickReactorOptions {
  /** Receives the live view of each user's open trades (the cache). */
  publishLive: (userId: string, view: LiveTrade[]) => Promise<void>;
  /** The supervised trades and settings held in memory between changes (see VersionedState). */
  state: VersionedState<SupervisedState>;
}

/** What the tick handler reads: the supervised trades (no close asked) and every user's settings. */
export interface SupervisedState {
  trades: SupervisedTrade[];
  settings: Map<string, Settings>;
}

/**
 * The trades a tick supervises: those that opened before it and whose market is still open (the
 * outcome does not depend on whether the trade's `opened` event or the tick was handled first).
 */
function supervisedAt(trades: readonly SupervisedTrade[], tick: PriceTick): SupervisedTrade[] {
  return trades.filter((t) => t.openedAt < tick.at && t.marketCloseAt > tick.at);
}

/** An open trade as the supervisor sees it on a tick. */
export interface LiveTrade {
  tradeId: string;
  at: number;
  probability: number;
  livePnlPerContractCents: number | null;
  action: string;
  reason: string;
}

/**
 * The active trade supervisor's reaction to a price tick: for every open trade, the live
 * probability (the model) and pnl (the opposite ask), and DOMAIN.md's auto-stop decision. A stop
 * is a `trade.close_requested` committed with the mark that keeps it from being asked twice.
 */
export class StopWatcher {
  readonly #o: StopWatcherOptions;
  readonly #decisions: Counter<'action'>;

  constructor(options: StopWatcherOptions) {
    this.#o = options;
    this.#decisions = new Counter({
      name: 'recio_auto_stop_decisions_total',
      help: 'Auto-stop decisions per open trade and tick',
      labelNames: ['action'],
      registers: [options.registry],
    });
    // Every action starts at 0: the dashboard shows "none" rather than nothing.
    for (const action of STOP_ACTIONS) this.#decisions.inc({ action }, 0);
  }

  async onTick(tx: PlatformTransaction, event: RecioEvent, tick: PriceTick, signal: AbortSignal): Promise<void> {
    if (isStaleTick(event, this.#o.staleTickMs)) return;
    // A first look from the in-memory copy: with no open trade, or only holds, nothing is sent to
    // PostgreSQL.
    const copy = await this.#o.state.get();
    const open = supervisedAt(copy.trades, tick);
    if (open.length === 0) return;
    const quotes = await this.#quotesByTicker(open, signal);
    let judged = this.#judge(open, copy.settings, quotes, tick);
    if (judged.some((j) => j.decision.action !== 'hold')) {
      // Something to do: decided again from the locked rows and the stored settings.
      const trades = supervisedAt(await watchedTrades(tx), tick);
      judged = this.#judge(trades, await this.#o.settings.all(tx), quotes, tick);
      for (const { trade, decision } of judged) await this.#act(tx, trade, decision.action, decision.reason, tick);
      tx.onCommit(() => void this.#o.state.changed());
    }
    const live = new Map<string, LiveTrade[]>();
    for (const { trade, decision, probability } of judged) {
      this.#decisions.inc({ action: decision.action });
      const view = {
        tradeId: trade.tradeId,
        at: tick.at,
        probability,
        livePnlPerContractCents: decision.livePnlPerContractCents,
        action: decision.action,
        reason: decision.reason,
      };
      live.set(trade.userId, [...(live.get(trade.userId) ?? []), view]);
    }
    for (const [userId, view] of live) await this.#o.publishLive(userId, view);
  }

  /** DOMAIN.md's auto-stop decision for each trade on this tick, with its live probability. */
  #judge(
    trades: readonly SupervisedTrade[],
    settings: ReadonlyMap<string, Settings>,
    quotes: ReadonlyMap<string, MarketQuote>,
    tick: PriceTick,
  ): { trade: SupervisedTrade; decision: ReturnType<typeof stopDecision>; probability: number }[] {
    return trades.map((trade) => {
      const userSettings = settings.get(trade.userId) ?? DEFAULT_SETTINGS;
      const quote = quotes.get(trade.marketTicker);
      const probability = this.#o.model.probability({
        price: tick.price,
        strike: trade.strike,
        side: trade.side,
        ttcSeconds: (trade.marketCloseAt - tick.at) / 1000,
        momentum: tick.momentum,
        volatility: tick.volatility,
      });
      const oppositeAsk = quote === undefined ? null : trade.side === 'yes' ? quote.noAsk : quote.yesAsk;
      const decision = stopDecision({
        trade: {
          side: trade.side,
          buyPriceCents: trade.buyPriceCents,
          openedAtMs: trade.openedAt,
          verificationStartedAtMs: trade.verificationStartedAt,
        },
        live: { probability, oppositeAskCents: oppositeAsk, momentum: tick.momentum },
        settings: userSettings,
        nowMs: tick.at,
      });
      return { trade, decision, probability };
    });
  }

  async #act(
    tx: PlatformTransaction,
    trade: SupervisedTrade,
    action: string,
    reason: string,
    tick: PriceTick,
  ): Promise<void> {
    if (action === 'start_verification') return markTrade(tx, trade.tradeId, { verificationStartedAt: tick.at });
    if (action === 'cancel_verification') return markTrade(tx, trade.tradeId, { verificationStartedAt: null });
    if (action !== 'close') return;
    const request: CloseRequest = {
      tradeId: trade.tradeId,
      userId: trade.userId,
      method: 'auto',
      reason,
      priceAtClose: tick.price,
      requestedAt: tick.at,
    };
    tx.publish(`trades:${trade.userId}`, 'trade.close_requested', request);
    await markTrade(tx, trade.tradeId, { closeRequestedAt: tick.at });
    this.#o.logger.info({ tradeId: trade.tradeId, userId: trade.userId, reason, price: tick.price }, 'auto stop');
  }

  // One GET /markets per event with open trades (normally just the current hour's). Without
  // quotes a trade still gets its probability; only the live pnl is unknown.
  async #quotesByTicker(trades: SupervisedTrade[], signal: AbortSignal): Promise<Map<string, MarketQuote>> {
    const events = new Set(trades.map((t) => parseMarketTicker(t.marketTicker).eventTicker));
    const out = new Map<string, MarketQuote>();
    for (const eventTicker of events) {
      try {
        for (const q of await this.#o.quotes.quotes(eventTicker, signal)) out.set(q.ticker, q);
      } catch (err) {
        this.#o.logger.warn({ err, eventTicker }, 'no quotes for open trades on this tick');
      }
    }
    return out;
  }
}
