import type { ExchangeClient, ExchangeWebSocket } from '@recio/exchange-client';
import type { PlatformRouter } from '@recio/service-kit';
import type { Logger } from 'pino';
import { readSnapshot } from './exchange-reader.js';
import { applySnapshot } from './mirror-writer.js';
import { readSyncCursors, type SyncCursors } from './sql/sync-cursors.js';
import type { SyncMetrics } from './sync-metrics.js';
import { SyncQueue } from './sync-queue.js';
import { fullScope, scopeKind, sweepScope, tickerScope, type SyncScope } from './sync-scope.js';

/** Options of {@link UserSync}. */
export interface UserSyncOptions {
  userId: string;
  /** A client signed with the user's key. */
  client: ExchangeClient;
  /** The user's WebSocket, not started yet (UserSync starts and closes it). */
  ws: ExchangeWebSocket;
  router: PlatformRouter;
  metrics: SyncMetrics;
  logger: Logger;
  /** Aborts exchange calls when the service drains. */
  signal: AbortSignal;
  /**
   * The first full resync waits for the `market_positions` subscription (so no change falls
   * between the two); if the WebSocket is not up after this long it runs anyway, and again
   * once subscribed. @defaultValue 5000
   */
  subscribeWaitMs?: number;
  /** See ReadSnapshotOptions.overlapMs. @defaultValue 300000 */
  overlapMs?: number;
  /** First retry delay of a failed sync. @defaultValue 1000 */
  retryBaseMs?: number;
}

const DEFAULTS = { subscribeWaitMs: 5_000, overlapMs: 300_000, retryBaseMs: 1_000 };

/**
 * One user's mirror: the `market_positions` WebSocket drives incremental syncs of the markets
 * it names, a (re)connect drives a full resync, and every sync runs through one queue, so a
 * user's syncs never overlap.
 */
export class UserSync {
  readonly userId: string;
  readonly #o: Required<Omit<UserSyncOptions, 'userId'>>;
  readonly #queue: SyncQueue;
  readonly #logger: Logger;
  #fullDone = false;
  #subscribed = false;
  #fallback: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  /**
   * The sync cursors as this process's last committed sync left them (the write returns them), so
   * an incremental sync does not read them first. Dropped when a sync fails (its commit may or may
   * not have happened) and on restart: then read from PostgreSQL. Another process syncing the same
   * user meanwhile only makes them older: older fill and settlement cursors read more; a resting
   * order it stored is read at the next sync that names its market, or the next full resync or sweep.
   */
  #cursors: SyncCursors | undefined;

  constructor(options: UserSyncOptions) {
    const o = { ...DEFAULTS, ...options };
    for (const name of ['subscribeWaitMs', 'overlapMs'] as const) {
      if (!(Number.isFinite(o[name]) && o[name] >= 0))
        throw new RangeError(`option ${name}: must be a number >= 0, got ${o[name]}`);
    }
    this.userId = o.userId;
    this.#o = o;
    this.#logger = o.logger.child({ userId: o.userId });
    this.#queue = new SyncQueue({
      run: (scope) => this.#sync(scope),
      logger: this.#logger,
      retryBaseMs: o.retryBaseMs,
      signal: o.signal,
    });
  }

  /** True once a full resync has committed. */
  get ready(): boolean {
    return this.#fullDone;
  }

  /** Connects the WebSocket, subscribes to `market_positions` and schedules the first full resync. */
  start(): void {
    const { ws, metrics } = this.#o;
    // 'disconnected' also follows a connection attempt that never opened.
    let connected = false;
    ws.on('open', () => {
      connected = true;
      metrics.wsConnected.inc();
    });
    ws.on('disconnected', ({ code, reason }) => {
      if (!connected) return;
      connected = false;
      metrics.wsConnected.dec();
      this.#logger.info({ code, reason }, 'exchange WebSocket disconnected');
    });
    ws.on('transport_error', (err) => this.#logger.debug({ err }, 'exchange WebSocket error'));
    ws.on('market_position', (message) =>
      this.#queue.request(tickerScope(message.msg.market_ticker, 'market_position')),
    );
    // Messages may have been missed while the connection was down.
    ws.on('reconnected', () => this.#queue.request(fullScope('reconnected')));
    ws.subscribe(['market_positions']).then(
      () => {
        this.#subscribed = true;
        clearTimeout(this.#fallback);
        this.#queue.request(fullScope('subscribed'));
      },
      (err: unknown) => {
        if (!this.#closing)
          this.#logger.error(
            { err },
            'market_positions subscription refused; only resyncs will keep this user current',
          );
      },
    );
    ws.start().catch((err: unknown) => {
      if (!this.#closing) this.#logger.error({ err }, 'exchange WebSocket refused the credentials');
    });
    this.#fallback = setTimeout(() => {
      if (!this.#subscribed) this.#queue.request(fullScope('start (WebSocket not up yet)'));
    }, this.#o.subscribeWaitMs);
  }

  /** Asks for the safety net's sweep. */
  sweep(): void {
    this.#queue.request(sweepScope('safety net'));
  }

  /** Closes the WebSocket and waits for the running sync. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#fallback);
      const errors: unknown[] = [];
      await this.#o.ws.close().catch((err: unknown) => errors.push(err));
      await this.#queue.close().catch((err: unknown) => errors.push(err));
      for (const err of errors) this.#logger.warn({ err }, 'user sync close step failed');
    })();
    return this.#closing;
  }

  async #sync(scope: SyncScope): Promise<void> {
    const { client, router, metrics, signal } = this.#o;
    const kind = scopeKind(scope);
    try {
      // A full resync starts from nothing; an incremental one from where this process's last sync
      // left the mirror, read from PostgreSQL when it has none (see #cursors).
      const cursors = scope.full ? null : (this.#cursors ?? (await readSyncCursors(router.pool, this.userId)));
      this.#cursors = undefined; // until this sync is known to have committed
      const snapshot = await readSnapshot(client, scope, cursors, {
        overlapMs: this.#o.overlapMs,
        signal,
        logger: this.#logger,
      });
      const {
        value: { changes, cursors: after },
        events,
      } = await router.transaction((tx) => applySnapshot(tx, this.userId, snapshot, this.#logger));
      this.#cursors = after;
      metrics.syncs.inc({ kind, outcome: 'ok' });
      metrics.recordChanges(changes);
      for (const event of events) metrics.events.inc({ type: event.type });
      if (scope.full) this.#fullDone = true;
      this.#logger.debug({ kind, reasons: scope.reasons, changes, events: events.length }, 'account synced');
    } catch (err) {
      metrics.syncs.inc({ kind, outcome: 'error' });
      throw err;
    }
  }
}
