import { InvalidOptionError } from '../errors.js';
import type { RecioEvent } from '../event.js';
import { positiveInt, stripUndefined } from '../options.js';
import type { AnyEvents, EventCatalogue } from '../event-catalogue.js';
import type { Transaction } from '../transaction.js';

/** What a handler gets besides the event. */
export interface HandlerContext<M extends EventCatalogue = AnyEvents> {
  /** The transaction that also advances the group's offset: effects and events commit together. */
  tx: Transaction<M>;
  /** Aborted when the consumer shuts down; long work should stop. */
  signal: AbortSignal;
  /** How many times this event has been delivered to the group (1 the first time). */
  deliveries: number;
}

/** Applies one event; throws to have it retried (and after maxDeliveries, dead-lettered). */
export type EventHandler<E = RecioEvent, M extends EventCatalogue = AnyEvents> = (
  event: E,
  ctx: HandlerContext<M>,
) => Promise<void>;

/**
 * Options of a consumer (EventRouter.consume). `E` is what the handler takes (the event, or what
 * `decode` makes of it); `M` the catalogue its transaction publishes (the router's).
 */
export interface ConsumeOptions<E = RecioEvent, M extends EventCatalogue = AnyEvents> {
  /** The consumer group: one per service role, e.g. `trade-manager`. */
  group: string;
  /** Concrete channels (`prices:btc`) and patterns (`trades:*`, `trades:user_*`). */
  channels: readonly string[];
  handler: EventHandler<E, M>;
  /** This member of the group: `<service>-<instance>` (the pod name). */
  consumer: string;
  /**
   * Turns an event into what the handler takes, checking it (e.g. a schema's parse): run once per
   * delivery, just before the handler. A throw sends the event to the dead letter at once, with the
   * error (EVENT_INVALID). @defaultValue the event as it is
   */
  decode?: (event: RecioEvent) => E;
  /**
   * The event types the handler acts on. Others are never handed to it: on an exactly-once channel a
   * run of them moves the group's offset in one statement, with no transaction (ARCHITECTURE
   * invariant 14: a group pays for the events it uses). @defaultValue every type
   */
  types?: readonly string[];
  /**
   * Events of the handler's types that it would apply as nothing, told from the event (as `decode`
   * returned it) and the handler's own memory, without PostgreSQL: e.g. a trade the service has
   * recorded already. They go as the other types do: never to the handler, the offset moved past
   * them without a transaction. True only when applying the event here, after everything before it
   * on its channel, could not change anything, whatever this member did or did not apply before; a
   * duplicate is then harmless too. When unsure, false: the event takes the locked path. A throw
   * counts as false. @defaultValue none: every event of the types goes to the handler
   */
  ignores?: (event: E) => boolean;
  /**
   * How long the offset move past a run of events the handler does not act on may wait, to go with
   * the others of that time in one statement; 0 moves each at once. Only a run that follows where
   * this member left the channel waits (the others are checked at once). @defaultValue 200
   */
  skipDelayMs?: number;
  /**
   * Where the handler's effects are. `'outside'`: anywhere (an order placed at an exchange, say), so
   * the group's offset is locked before the handler runs, and an event the member should not apply
   * (another member's progress, an entry above the committed head) never reaches it. `'transaction'`:
   * every effect is in `tx` (statements, events) or in `tx.onCommit`, so a run that follows where
   * this member left its channel goes to the handler with no lock first: the offset is checked in
   * COMMIT's round trip (still where the member left it, and the run within the committed head),
   * and when it is not, the transaction rolls back and the run is applied the locked way. A handled
   * run then costs one round trip less, and its handler starts one round trip sooner (and, for an event
   * a doorbell message carries, beside the channel's read rather than after it; see docs/consumer.md).
   * @defaultValue 'outside'
   */
  effects?: 'outside' | 'transaction';
  /** Entries read per XREADGROUP (COUNT). @defaultValue 100 */
  batchSize?: number;
  /** Events read but not yet finished; reading pauses above it (backpressure). @defaultValue 1000 */
  maxInFlight?: number;
  /**
   * Channels processed at once (each channel is always sequential): read, and waiting for or in a
   * transaction. The default lets every transaction fill: a channel whose run waits for one holds its
   * place, so with fewer places than `transactions × channelsPerTransaction` ready channels would
   * wait unread behind half-empty transactions (docs/performance.md, issue 14's tenth step).
   * @defaultValue transactions × channelsPerTransaction (16)
   */
  concurrency?: number;
  /**
   * Transactions this member runs at once. Channels ready meanwhile wait for one to end and are then
   * applied together (see channelsPerTransaction): under load a group pays one BEGIN, one offset
   * lock, one offset advance and one COMMIT for several channels' runs. One at a time makes the
   * fullest transactions (docs/performance.md: a fifth less CPU per event than 2); two about halve
   * how long a run waits under load, for more round trips per event (the twelfth step there). A
   * member whose handlers wait on something slow (the outside world) should run more. @defaultValue 1
   */
  transactions?: number;
  /**
   * Channels whose runs may share one transaction; 1 gives each run a transaction of its own. When
   * one handler fails, the shared transaction rolls back and each run is applied again alone, so a
   * handler that talks to the outside world (an exchange) should set 1, and run more `transactions`.
   * @defaultValue 16
   */
  channelsPerTransaction?: number;
  /** Deliveries after which a failing event goes to the dead letter. @defaultValue 5 */
  maxDeliveries?: number;
  /**
   * Pending entries idle this long are taken over from other members (XAUTOCLAIM); Redis is asked
   * for them every half of it (PendingCheck, no PostgreSQL). @defaultValue 30000
   */
  claimIdleMs?: number;
  /** First retry delay; doubles each time, with equal jitter. @defaultValue 100 */
  retryBaseMs?: number;
  /** Longest retry delay. @defaultValue 30000 */
  retryMaxMs?: number;
  /**
   * The safety net in PostgreSQL: one statement for channels whose head is past the group's offset
   * with nothing arriving (Redis lost or never got their events) and for requested re-drives
   * (run when asked for). A dead member's entries are found in Redis, every `claimIdleMs / 2`. @defaultValue 60000
   */
  sweepIntervalMs?: number;
  /**
   * Where a group that never applied a channel starts: what Redis holds (`redis`) or the
   * channel's whole history in PostgreSQL (`postgres`). @defaultValue 'redis'
   */
  startFrom?: 'redis' | 'postgres';
}

/**
 * ConsumeOptions with defaults filled in, as the consumer's parts see them: the handler takes what
 * `decode` returned (its type is the caller's business, checked where consume() was called).
 */
export type ResolvedConsumeOptions = Required<Omit<ConsumeOptions, 'handler' | 'decode' | 'types' | 'ignores'>> & {
  handler: EventHandler<unknown>;
  decode: (event: RecioEvent) => unknown;
  /** ConsumeOptions.ignores, or null. */
  ignores: ((event: unknown) => boolean) | null;
  /** Whether the handler acts on events of this type (ConsumeOptions.types). */
  handles: (type: string) => boolean;
};

export const CONSUME_DEFAULTS = {
  batchSize: 100,
  maxInFlight: 1_000,
  transactions: 1,
  channelsPerTransaction: 16,
  skipDelayMs: 200,
  maxDeliveries: 5,
  claimIdleMs: 30_000,
  retryBaseMs: 100,
  retryMaxMs: 30_000,
  sweepIntervalMs: 60_000,
  startFrom: 'redis',
  effects: 'outside',
} as const;

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

/** Fills defaults and rejects bad values, naming the option. */
export function resolveConsumeOptions<E, M extends EventCatalogue>(
  options: ConsumeOptions<E, M>,
): ResolvedConsumeOptions {
  const { types, ...rest } = options;
  if (types !== undefined && (!Array.isArray(types) || types.some((t) => typeof t !== 'string' || t === '')))
    throw new InvalidOptionError('types', 'expected event type names');
  const handled = types === undefined ? null : new Set(types);
  const o = {
    ...CONSUME_DEFAULTS,
    decode: (event: RecioEvent) => event,
    ignores: null,
    ...stripUndefined(rest),
    handles: (type: string) => handled === null || handled.has(type),
  } as unknown as ResolvedConsumeOptions;
  if (typeof o.group !== 'string' || !NAME_RE.test(o.group))
    throw new InvalidOptionError('group', 'expected [A-Za-z0-9._-]+');
  if (typeof o.consumer !== 'string' || !NAME_RE.test(o.consumer))
    throw new InvalidOptionError('consumer', 'expected <service>-<instance>');
  if (typeof o.handler !== 'function') throw new InvalidOptionError('handler', 'expected a function');
  if (typeof o.decode !== 'function') throw new InvalidOptionError('decode', 'expected a function');
  if (o.ignores !== null && typeof o.ignores !== 'function')
    throw new InvalidOptionError('ignores', 'expected a function');
  if (!Array.isArray(o.channels) || o.channels.length === 0)
    throw new InvalidOptionError('channels', 'expected at least one channel or pattern');
  if (o.startFrom !== 'redis' && o.startFrom !== 'postgres')
    throw new InvalidOptionError('startFrom', "expected 'redis' or 'postgres'");
  if (o.effects !== 'outside' && o.effects !== 'transaction')
    throw new InvalidOptionError('effects', "expected 'outside' or 'transaction'");
  // (Checked after what it is made of.)
  if (options.concurrency === undefined) o.concurrency = o.transactions * o.channelsPerTransaction;
  for (const key of [
    'batchSize',
    'maxInFlight',
    'transactions',
    'channelsPerTransaction',
    'concurrency',
    'maxDeliveries',
    'claimIdleMs',
    'retryBaseMs',
    'retryMaxMs',
    'sweepIntervalMs',
  ] as const) {
    positiveInt(key, o[key]);
  }
  if (typeof o.skipDelayMs !== 'number' || !Number.isInteger(o.skipDelayMs) || o.skipDelayMs < 0)
    throw new InvalidOptionError('skipDelayMs', `expected an integer ≥ 0, got ${String(o.skipDelayMs)}`);
  return o;
}
