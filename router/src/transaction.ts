import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { Channels } from './channels.js';
import type {
  AnyEvents,
  CatalogueChannel,
  CatalogueData,
  CatalogueType,
  EventCatalogue,
  PublishInput,
} from './event-catalogue.js';
import { ClosedError } from './errors.js';
import { encodeEvent } from './event-encoding.js';
import type { NewEvent } from './sql/insert-events.js';

/**
 * A PostgreSQL transaction in which business rows and events commit together
 * (invariant 1). Events are queued by publish() and inserted by the router in COMMIT's
 * round trip, right before it, so the channel_head row locks are held as briefly as possible
 * and taken in channel order (no deadlocks between publishers). `M` is the event catalogue that
 * `publish` is checked against at compile time (see event-catalogue.ts).
 */
export class Transaction<M extends EventCatalogue = AnyEvents> {
  readonly #channels: Channels;
  readonly #maxEventBytes: number;
  readonly #queued: NewEvent[] = [];
  readonly #onCommit: (() => void)[] = [];
  readonly #begin: (() => Promise<PoolClient>) | undefined;
  readonly #closing: string[] = [];
  #client: PoolClient | undefined;
  #opening: Promise<PoolClient> | undefined;
  #opened: readonly QueryResultRow[] = [];
  #ended = false;

  /**
   * `client`: the transaction's connection, begun (BEGIN sent, or waiting to go with its first
   * statement); or how to begin (a lazy transaction, TransactionOptions.lazy: the connection is
   * taken on the first statement, so a handler that reads and writes nothing holds none).
   */
  constructor(client: PoolClient | (() => Promise<PoolClient>), channels: Channels, maxEventBytes: number) {
    if (typeof client === 'function') this.#begin = client;
    else this.#client = client;
    this.#channels = channels;
    this.#maxEventBytes = maxEventBytes;
  }

  /** The client inside BEGIN, for the business statements. Throws in a lazy transaction not begun yet. */
  get client(): PoolClient {
    if (this.#ended) throw new ClosedError('transaction');
    if (!this.#client) throw new Error('this lazy transaction has not begun: use query(), or begin() first');
    return this.#client;
  }

  /** The rows of TransactionOptions.opening, sent with BEGIN (none without it). */
  get opened(): readonly QueryResultRow[] {
    return this.#opened;
  }

  /** Sets the rows of TransactionOptions.opening (the router does, once BEGIN is answered). */
  set opened(rows: readonly QueryResultRow[]) {
    this.#opened = rows;
  }

  /**
   * Sends `statement` in COMMIT's own round trip, before the events' insert (so it sees the channel
   * heads as committed before this transaction): one round trip less than a statement of its own,
   * for a statement whose result nobody reads (the consumer's offset advance). It has no parameters
   * (a simple query): literals are escaped by the caller. If it fails, nothing commits.
   */
  closeWith(statement: string): void {
    this.#closing.push(statement);
  }

  /** The statements to send with COMMIT (the router sends them). */
  get closing(): readonly string[] {
    return this.#closing;
  }

  /** Whether the transaction has begun (always, unless it is lazy): what it sends is inside BEGIN. */
  get begun(): boolean {
    return this.#client !== undefined;
  }

  /** Begins a lazy transaction now (once); the client inside BEGIN. */
  begin(): Promise<PoolClient> {
    if (this.#ended) return Promise.reject(new ClosedError('transaction'));
    if (this.#client) return Promise.resolve(this.#client);
    this.#opening ??= this.#begin!().then((client) => (this.#client = client));
    return this.#opening;
  }

  /** Runs a business statement in this transaction (beginning it if it is lazy). */
  async query<R extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    if (this.#ended) throw new ClosedError('transaction');
    const client = this.#client ?? (await this.begin());
    // The transaction may have ended while its connection was on its way (the handler failed meanwhile).
    if (this.#ended) throw new ClosedError('transaction');
    return typeof text === 'string' ? client.query<R>(text, values) : client.query<R>(text);
  }

  /**
   * Resolves once a begin under way (a lazy transaction's connection on its way) has settled, so
   * what it began is the router's to commit or roll back and release. Never rejects.
   */
  settled(): Promise<void> {
    return (
      this.#opening?.then(
        () => undefined,
        () => undefined,
      ) ?? Promise.resolve()
    );
  }

  /**
   * Ends the handler's part (the router, once it committed or failed): from then on query(), begin(),
   * client and publish throw ClosedError, so nothing reaches a connection that was committed, rolled
   * back or released (even a statement whose connection was still on its way), and no event is queued
   * that would never commit.
   */
  end(): void {
    this.#ended = true;
  }

  /**
   * Queues an event to commit with this transaction; returns its event id. Bad input throws
   * here (InvalidChannelError, InvalidEventError), before anything is written.
   */
  publish<Ch extends CatalogueChannel<M>, T extends CatalogueType<M, Ch>>(
    channel: Ch,
    type: T,
    data: CatalogueData<M, Ch, T>,
  ): string {
    if (this.#ended) throw new ClosedError('transaction');
    const event = encodeEvent(this.#channels, this.#maxEventBytes, { channel, type, data });
    this.#queued.push(event);
    return event.event_id;
  }

  /** Queues several events, in order; returns their event ids. */
  publishMany(events: readonly PublishInput<M>[]): string[] {
    if (this.#ended) throw new ClosedError('transaction');
    const encoded = events.map((e) => encodeEvent(this.#channels, this.#maxEventBytes, e));
    this.#queued.push(...encoded);
    return encoded.map((e) => e.event_id);
  }

  /**
   * Runs `fn` once this transaction has committed, never if it rolls back: for what must count
   * only committed effects (a metric of money moved, say), where a handler retried after a
   * rollback would otherwise count twice. Hooks run in order; one that throws is logged.
   */
  onCommit(fn: () => void): void {
    this.#onCommit.push(fn);
  }

  /** The hooks to run after COMMIT (the router runs them). */
  get commitHooks(): readonly (() => void)[] {
    return this.#onCommit;
  }

  /** The events queued so far (the router inserts them before COMMIT). */
  get queued(): readonly NewEvent[] {
    return this.#queued;
  }
}
