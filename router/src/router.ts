import pg, { type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { Channels } from './channels.js';
import { Consumer } from './consume/consumer.js';
import type { ConsumerDeps } from './consume/consumer-deps.js';
import type { ConsumeOptions } from './consume/consumer-options.js';
import { ClosedError, CONNECTION_ERROR_CODES, errorCode, InvalidEventError, InvalidOptionError } from './errors.js';
import { encodeEvent, type EventInput } from './event-encoding.js';
import { toRecioEvent, type CommittedEvent, type RecioEvent } from './event.js';
import { RouterMetrics } from './metrics.js';
import { resolveRouterOptions, type ResolvedRouterOptions, type RouterOptions } from './options.js';
import { Propagator } from './propagator.js';
import { PublishBatcher } from './publish-batcher.js';
import { createRedisClient, parseRedisConnection, waitForRedis, type RedisClient } from './redis/connection.js';
import { instrumentRedis } from './redis/instrument.js';
import { RouterScripts } from './redis/scripts.js';
import { Replayer, type ReplayOptions, type ReplayPage } from './replay.js';
import { committedEvents, insertEventsStatement, type InsertedEventRow, type NewEvent } from './sql/insert-events.js';
import { allowDeferredBegin, deferBegin, takeDeferred } from './sql/deferred-begin.js';
import { checkSessionStatements, prepareSessionStatements } from './sql/session-statements.js';
import { Transaction } from './transaction.js';
import type {
  AnyEvents,
  CatalogueChannel,
  CatalogueData,
  CatalogueType,
  EventCatalogue,
  PublishInput,
} from './event-catalogue.js';
import { countStatements } from './pg-statements.js';

/** How a transaction commits. */
export interface TransactionOptions {
  /**
   * Commit without waiting for the WAL flush, unless the transaction publishes events. Only
   * for work that is redone if a PostgreSQL crash loses it: a consumer's handler, whose
   * offset is lost together with its effects. @defaultValue false
   */
  relaxedCommit?: boolean;
  /**
   * Take a connection from the pool only when the function sends its first statement (or queued an
   * event): a function that reads and writes nothing holds no connection. For handlers of
   * latest-value events, most of which find nothing to do. (Either way BEGIN goes with the first
   * statement, and a transaction that sent nothing sends no COMMIT: docs/router.md.)
   * @defaultValue false
   */
  lazy?: boolean;
  /**
   * A statement sent in BEGIN's own round trip, its rows then `tx.opened`: one round trip less
   * than a statement of its own (the consumer's offset lock). It has no parameters (a simple
   * query): literals are escaped by the caller. Not with `lazy`.
   */
  opening?: string;
}

/** The value a transaction returned, and the events it committed. */
export interface Committed<T> {
  value: T;
  events: RecioEvent[];
}

/**
 * The router's publish side, the one object a service holds: business rows and events
 * commit together in PostgreSQL (invariants 1, 2), then the events are appended to their
 * Redis streams at once (invariant 4). If that append fails, the commit stands and the
 * relay propagates later (invariant 5). Also reads history (replay, invariant 6).
 */
export class EventRouter<M extends EventCatalogue = AnyEvents> {
  readonly options: ResolvedRouterOptions;
  readonly channels: Channels;
  readonly metrics: RouterMetrics;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The PostgreSQL pool (owned by the router when it was given a connection string). */
  readonly pool: pg.Pool;
  /** The Redis client; commands fail fast while Redis is away. */
  readonly redis: RedisClient;
  readonly scripts: RouterScripts;
  readonly propagator: Propagator;
  readonly #replayer: Replayer;
  readonly #batcher: PublishBatcher;
  readonly #ownsPool: boolean;
  #closing: Promise<void> | undefined;
  // Publishes and transactions under way; close() lets them finish before closing connections.
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: RouterOptions) {
    this.options = resolveRouterOptions(options);
    const redisConnection = parseRedisConnection(this.options.redis);
    this.channels = new Channels(this.options.channelClasses, this.options.publishes);
    this.registry = this.options.registry ?? new Registry();
    this.metrics = new RouterMetrics(this.registry);
    this.logger = this.options.logger ?? pino({ level: 'info', base: { source: this.options.source } });
    this.#ownsPool = typeof this.options.database === 'string';
    this.pool =
      typeof this.options.database === 'string'
        ? new pg.Pool({
            connectionString: this.options.database,
            max: this.options.poolSize,
            application_name: this.options.source,
            // Opening a connection forks a backend (~5–10 ms): keep idle ones long enough that
            // a consumer's bursts do not pay for it again and again (pg's default is 10 s).
            idleTimeoutMillis: 60_000,
          })
        : this.options.database;
    countStatements(this.pool, this.registry, this.options.source);
    // (After the count: a round trip is counted as what is sent, BEGIN riding in it included.)
    allowDeferredBegin(this.pool);
    // An idle client that loses its server must not crash the process.
    if (this.#ownsPool) this.pool.on('error', (err) => this.logger.warn({ err }, 'idle PostgreSQL client failed'));
    this.redis = createRedisClient(redisConnection, {
      offlineQueue: false,
      commandTimeoutMs: this.options.redisCommandTimeoutMs,
      connectionName: `${this.options.source}-router`,
    });
    this.redis.on('error', (err: unknown) => this.logger.debug({ err }, 'redis connection error'));
    instrumentRedis(this.redis, this.metrics);
    this.scripts = new RouterScripts(this.redis);
    this.propagator = new Propagator({
      pool: this.pool,
      redis: this.redis,
      scripts: this.scripts,
      channels: this.channels,
      metrics: this.metrics,
      logger: this.logger,
      announceChannel: this.options.announceChannel,
      batchSize: this.options.batchSize,
      maxGapFill: this.options.maxGapFill,
    });
    this.#batcher = new PublishBatcher(
      this.pool,
      this.options.source,
      this.options.maxPublishStatements,
      this.options.batchSize,
    );
    this.#replayer = new Replayer(this.pool, this.redis, this.channels, this.metrics, this.logger);
  }

  /**
   * Resolves when PostgreSQL answers and, if `redisTimeoutMs` is given, Redis is ready too.
   * Publishing does not need Redis: without it events wait in PostgreSQL for the relay.
   */
  async waitUntilReady(options: { redisTimeoutMs?: number } = {}): Promise<void> {
    this.#assertOpen();
    await this.pool.query('SELECT 1');
    if (options.redisTimeoutMs !== undefined) await waitForRedis(this.redis, options.redisTimeoutMs);
  }

  /** Resolves to whether Redis became ready within `timeoutMs`; never throws. */
  async redisReady(timeoutMs: number): Promise<boolean> {
    return waitForRedis(this.redis, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /**
   * Runs `fn` in a transaction. Events it publishes (tx.publish) are inserted in COMMIT's
   * round trip, before it, and appended to Redis after it; a rollback (fn throws) leaves
   * nothing anywhere. Resolves once committed and, Redis permitting, appended.
   */
  transaction<T>(fn: (tx: Transaction<M>) => Promise<T>, options: TransactionOptions = {}): Promise<Committed<T>> {
    this.#assertOpen();
    return this.#track(this.#transaction(fn, options));
  }

  async #transaction<T>(fn: (tx: Transaction<M>) => Promise<T>, options: TransactionOptions): Promise<Committed<T>> {
    let client: PoolClient | undefined;
    let opened: readonly QueryResultRow[] = [];
    const begin = async (): Promise<PoolClient> => {
      client = await this.pool.connect();
      // Once per connection: the statements that ride BEGIN's and COMMIT's round trips.
      const preparing = prepareSessionStatements(client);
      if (preparing) await preparing;
      const beginning = options.relaxedCommit ? ['BEGIN', 'SET LOCAL synchronous_commit = off'] : ['BEGIN'];
      // Without an opening, BEGIN goes with the first statement (deferred-begin.ts); else in one
      // round trip with the opening (a simple query may hold several statements).
      if (options.opening === undefined && deferBegin(client, beginning)) return client;
      const statements = [...beginning];
      if (options.opening !== undefined) statements.push(options.opening);
      let results: QueryResult | QueryResult[];
      try {
        results = (await client.query(statements.join('; '))) as QueryResult | QueryResult[];
      } catch (error) {
        // An opening that failed left the transaction begun and aborted: never back to the pool so.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      if (options.opening !== undefined) opened = (Array.isArray(results) ? results.at(-1)! : results).rows;
      return client;
    };
    if (options.lazy && options.opening !== undefined)
      throw new InvalidOptionError('opening', 'a lazy transaction sends nothing with BEGIN');
    let committed: CommittedEvent[] = [];
    let value: T;
    let hooks: readonly (() => void)[] = [];
    try {
      const tx = new Transaction<M>(options.lazy ? begin : await begin(), this.channels, this.options.maxEventBytes);
      tx.opened = opened;
      try {
        value = await fn(tx);
        await tx.settled(); // a lazy transaction's connection the handler did not wait for
        hooks = tx.commitHooks;
        // A lazy transaction that sent nothing and queued no event has nothing to commit.
        if (tx.begun || tx.queued.length > 0) {
          const inside = await tx.begin();
          // BEGIN still waiting: nothing was sent. With nothing to send now either, nothing to commit.
          const beginning = takeDeferred(inside) ?? [];
          const publishes = tx.queued.length > 0;
          if (beginning.length === 0 || publishes || tx.closing.length > 0) {
            try {
              // One round trip: BEGIN if it is still waiting, the closing statements, the events
              // (inserted last, so the channel heads stay locked as briefly as possible), COMMIT. The
              // closing statements see the channel heads as committed before this transaction: a
              // consumer's offset check compares a run with them, and a handler that publishes on
              // the channel it consumes must not raise the head it is checked against.
              // Events never reach Redis from a commit that is not flushed (invariant 1): a relaxed
              // transaction that publishes turns the flush back on here (the setting is read when
              // the commit record is written, before it reverts). A statement that fails skips the
              // rest, COMMIT included: the transaction rolls back.
              const closing = [...beginning, ...tx.closing];
              const inserting = closing.length;
              if (publishes) closing.push(insertEventsStatement(tx.queued, this.options.source));
              if (options.relaxedCommit && publishes) closing.push('SET LOCAL synchronous_commit = on');
              const sent = (await inside.query([...closing, 'COMMIT'].join('; '))) as QueryResult | QueryResult[];
              if (publishes) {
                const inserted = (Array.isArray(sent) ? sent[inserting]! : sent).rows as InsertedEventRow[];
                committed = committedEvents(tx.queued, this.options.source, inserted);
              }
            } catch (error) {
              // The events could not be confirmed in PostgreSQL (the business's own errors are not counted).
              this.metrics.pgErrors.inc({ op: 'commit', code: errorCode(error) });
              throw error;
            }
          }
        }
      } catch (error) {
        // Nothing the handler sends from now on goes out, and a connection still on its way (a lazy
        // transaction whose handler failed meanwhile) is waited for: it is rolled back and released here.
        tx.end();
        await tx.settled();
        // Nothing to roll back when BEGIN never went out.
        if (client && takeDeferred(client) === undefined) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      tx.end();
      client?.release();
    } catch (error) {
      if (client) {
        takeDeferred(client);
        checkSessionStatements(client, error);
      }
      // A client whose connection broke must not go back to the pool.
      client?.release(CONNECTION_ERROR_CODES.has(errorCode(error)) ? (error as Error) : undefined);
      throw error;
    }
    for (const hook of hooks) {
      try {
        hook();
      } catch (err) {
        this.logger.error({ err }, 'a commit hook failed (the transaction is committed)');
      }
    }
    return { value, events: await this.#afterCommit(committed) };
  }

  /** Publishes one event in a transaction of its own. */
  async publish<Ch extends CatalogueChannel<M>, T extends CatalogueType<M, Ch>>(
    channel: Ch,
    type: T,
    data: CatalogueData<M, Ch, T>,
  ): Promise<RecioEvent> {
    const [event] = await this.#publishInputs([{ channel, type, data }]);
    return event!;
  }

  /**
   * Publishes several events atomically, in order, in a transaction of their own. Concurrent
   * calls may share one statement and COMMIT (group commit, see PublishBatcher).
   */
  publishMany(events: readonly PublishInput<M>[]): Promise<RecioEvent[]> {
    return this.#publishInputs(events);
  }

  async #publishInputs(events: readonly EventInput[]): Promise<RecioEvent[]> {
    this.#assertOpen();
    if (events.length === 0) return [];
    const encoded: NewEvent[] = events.map((e) => encodeEvent(this.channels, this.options.maxEventBytes, e));
    return this.#track(this.#publishEncoded(encoded));
  }

  async #publishEncoded(encoded: NewEvent[]): Promise<RecioEvent[]> {
    let committed: CommittedEvent[];
    try {
      committed = await this.#batcher.commit(encoded);
    } catch (error) {
      this.metrics.pgErrors.inc({ op: 'publish', code: errorCode(error) });
      throw error;
    }
    return this.#afterCommit(committed);
  }

  /**
   * Publishes latest-value market data (a `delivery: 'latest'` class: prices, markets; ARCHITECTURE
   * invariant 14) straight to its stream, with no PostgreSQL statement: `version` is the datum's own
   * increasing number (a tick's time in ms) and becomes the event's seq; a version at or below the
   * stream's last is a duplicate and appends nothing (`appended: false`). Seqs of such channels have
   * gaps. Consumers get each event at least once (see consume). Throws DeliveryMismatchError on an
   * exactly-once channel, and Redis's error when Redis is away: the caller keeps the datum or drops it.
   */
  async publishLatest<Ch extends CatalogueChannel<M>, T extends CatalogueType<M, Ch>>(
    channel: Ch,
    type: T,
    data: CatalogueData<M, Ch, T>,
    version: number,
  ): Promise<{ event: RecioEvent; appended: boolean }> {
    this.#assertOpen();
    const encoded = encodeEvent(this.channels, this.options.maxEventBytes, { channel, type, data }, true);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new InvalidEventError(`version of ${type} must be a positive integer, got ${String(version)}`);
    const event: CommittedEvent = { ...encoded, seq: version, source: this.options.source, ts: Date.now() };
    const appended = await this.#track(this.propagator.appendLatest(event));
    if (appended) this.metrics.eventsPublished.inc({ class: this.channels.classOf(channel) });
    return { event: toRecioEvent(event), appended };
  }

  /**
   * Starts a member of a consumer group on `options.channels` (concrete or `class:prefix*`):
   * each event is applied exactly once and in order per channel, in a transaction that also
   * moves the group's offset (see Consumer). Close it before closing the router.
   */
  async consume<E = RecioEvent>(options: ConsumeOptions<E, M>): Promise<Consumer> {
    this.#assertOpen();
    // The handler's types (what decode returns, the catalogue of its tx) were checked here, at the
    // call; the consumer's parts pass them through without looking.
    const consumer = new Consumer(this as unknown as ConsumerDeps, options as unknown as ConsumeOptions<never>);
    await consumer.start();
    return consumer;
  }

  /**
   * A page of `channel`'s history from `sinceSeq` (inclusive) or `sinceTime`. Inside a
   * transaction pass it (`{ tx }`): PostgreSQL is then read on the transaction's connection.
   */
  replay(channel: string, options: ReplayOptions, within?: { tx: Pick<Transaction, 'client'> }): Promise<ReplayPage> {
    this.#assertOpen();
    return this.#replayer.replay(channel, options, within?.tx.client);
  }

  /**
   * Stops taking work, lets publishes under way finish (their events are committed; their
   * appends are attempted), then closes Redis and the pool if the router created it. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
      if (this.#ownsPool)
        await this.pool.end().catch((err: unknown) => this.logger.warn({ err }, 'closing the pool failed'));
    })();
    return this.#closing;
  }

  async #afterCommit(committed: CommittedEvent[]): Promise<RecioEvent[]> {
    if (committed.length === 0) return [];
    const committedAt = Date.now();
    for (const e of committed) this.metrics.eventsPublished.inc({ class: this.channels.classOf(e.channel) });
    await this.propagator.afterCommit(committed, committedAt);
    return committed.map(toRecioEvent);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const forget = (): void => {
      this.#inFlight.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClosedError('router');
  }
}
