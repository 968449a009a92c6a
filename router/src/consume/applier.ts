import { channelClass } from '@recio/contract';
import type { Logger } from 'pino';
import { ReplayExpiredError } from '../errors.js';
import {
  advanceCheckedOffsetsStatement,
  advanceOffsetsStatement,
  type CheckedMove,
  isCheckRefused,
  lockedOffsets,
  lockOffsets,
  lockOffsetsStatement,
  skipOffset,
  skipOffsets,
} from '../sql/consumer-offset.js';
import type { Transaction } from '../transaction.js';
import type { ConsumerDeps } from './consumer-deps.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import { DeliveryFailure, replayedDeliveries, type Delivery } from './deliveries.js';
import { acknowledge } from './group-stream.js';

/** A channel's run waiting to be applied, and its caller. */
interface Run {
  channel: string;
  deliveries: readonly Delivery[];
  /**
   * For a run taken from the doorbell's message before the group's read answered: whether the read
   * delivered it to this member (never rejects). Null for a run that was read.
   */
  owned: Promise<boolean> | null;
  /** Found not this member's: resolved as nothing, out of every transaction since. */
  dropped?: boolean;
  resolve: (result: ApplyResult) => void;
  reject: (error: unknown) => void;
}

/** A run of events the handler does not act on, waiting for its offset move (ConsumeOptions.skipDelayMs). */
interface SkippedRun {
  first: number;
  last: number;
  /** Its stream entries: acknowledged once the offset moved, so a member that dies first gets them back. */
  deliveries: Delivery[];
}

/** What a transaction applied: each run's outcome, in order, and the offsets it committed. */
interface Applied {
  /** The runs applied (those that were this member's), with their outcomes in the same order. */
  runs: readonly Run[];
  outcomes: ApplyResult[];
  committedOffsets: ReadonlyMap<string, number>;
}

/** What applying a run did. */
export interface ApplyResult {
  applied: number;
  duplicates: number;
  /** Seqs of entries above the channel's committed head: not events of the channel, never applied. */
  ahead: number[];
}

/** What a run that was not this member's to apply resolves to. */
const NOTHING: ApplyResult = { applied: 0, duplicates: 0, ahead: [] };

/** A checked transaction held a run the group's read did not deliver to this member: rolled back. */
class NotOwnedError extends Error {}

/**
 * Applies a channel's events for one group exactly once and in order (invariant 7): in one
 * transaction it locks the group's offset row, drops what is at or below it (duplicates),
 * fills any hole from replay (Redis or PostgreSQL), decodes and hands each event to the handler and
 * moves the offset; after COMMIT the entries are acknowledged. Runs of several channels that are
 * ready at once share a transaction (ConsumeOptions.transactions, channelsPerTransaction).
 */
export class Applier {
  /** Latest-value channels: the newest seq this member applied (what it reads again is skipped). */
  readonly #latestApplied = new Map<string, number>();
  /** Per channel, the offset this member last committed or saw locked (another member may have moved it since). */
  readonly #known = new Map<string, number>();
  /** Runs of events the handler does not act on, whose offset move waits for the next flush. */
  readonly #skipped = new Map<string, SkippedRun>();
  #skipTimer: NodeJS.Timeout | undefined;
  #skipFlush: Promise<void> | undefined;
  /** What `decode` returned for a delivery, kept from the skip check to the handler. */
  readonly #decoded = new WeakMap<Delivery, unknown>();
  /** Runs waiting for a transaction, in the order they came. */
  readonly #queue: Run[] = [];
  /** Transactions running now (at most ConsumeOptions.transactions). */
  #transactions = 0;

  constructor(
    private readonly deps: Pick<ConsumerDeps, 'redis' | 'transaction' | 'replay' | 'channels' | 'pool'>,
    private readonly o: ResolvedConsumeOptions,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Whether a run starting at `seq` on `channel` may be applied before the group's read tells whether
   * it is this member's (apply's `owned`): it follows where this member left the channel (which it
   * does not once another member took the channel over). With effects 'transaction' it goes to the
   * handler at once, the checked way, whose COMMIT waits for the answer; otherwise BEGIN and the
   * offset lock go beside the read, and the handler waits for both.
   */
  follows(channel: string, seq: number): boolean {
    return !this.deps.channels.isLatest(channel) && this.#known.get(channel) === seq - 1;
  }

  /**
   * Applies `deliveries` (one channel, ascending seq). Throws DeliveryFailure, or infrastructure errors.
   * `owned`: for a run taken from the doorbell's message (see `follows`), whether the group's read
   * delivered it to this member; if not, nothing of it is applied or acknowledged and it resolves as
   * nothing, whatever the handler did meanwhile (rolled back), and never throws.
   */
  async apply(
    channel: string,
    deliveries: readonly Delivery[],
    owned: Promise<boolean> | null = null,
  ): Promise<ApplyResult> {
    if (this.deps.channels.isLatest(channel)) return this.#applyLatest(channel, deliveries);
    const ignored = this.#ignoredRun(deliveries);
    // A run the handler does not act on has no handler to start early: it waits for its answer.
    if (owned !== null && ignored) {
      if (!(await owned)) return NOTHING;
      owned = null;
    }
    const skipped = ignored ? await this.#skipUnhandled(channel, deliveries) : 'no';
    if (skipped !== 'no') {
      if (skipped === 'moved') await this.acknowledge(channel, deliveries);
      this.metrics.events.inc(
        { group: this.o.group, class: channelClass(channel), outcome: 'applied' },
        deliveries.length,
      );
      return { applied: deliveries.length, duplicates: 0, ahead: [] };
    }
    const applied = new Promise<ApplyResult>((resolve, reject) => {
      this.#queue.push({ channel, deliveries, owned, resolve, reject });
      if (this.#transactions < this.o.transactions) void this.#flush();
    });
    if (owned === null) return applied;
    // A failure that came before the read told whose the run was (BEGIN and the lock failed, say) is
    // the caller's only if it was this member's: the caller holds and retries what fails, as read.
    const ownedRun = owned;
    return applied.catch(async (error: unknown) => {
      if (!(await ownedRun)) return NOTHING;
      throw error;
    });
  }

  /**
   * Runs transactions while runs wait: each takes the waiting runs of up to channelsPerTransaction
   * channels (a channel's runs in order, one per transaction). Group commit for consumers: nothing
   * waits when the member is idle, and under load several channels share one transaction.
   */
  async #flush(): Promise<void> {
    this.#transactions++;
    try {
      while (this.#queue.length > 0) {
        const batch: Run[] = [];
        const channels = new Set<string>();
        for (let i = 0; i < this.#queue.length && batch.length < this.o.channelsPerTransaction;) {
          const run = this.#queue[i]!;
          if (channels.has(run.channel)) i++;
          else {
            channels.add(run.channel);
            batch.push(run);
            this.#queue.splice(i, 1);
          }
        }
        if (batch.length > 1) {
          try {
            await this.#applyTogether(batch);
            continue;
          } catch (error) {
            // The transaction rolled back. A handler's failure is its channel's alone: that run is
            // applied alone (and fails to its caller), the others go first in the next transaction.
            const failed =
              error instanceof DeliveryFailure
                ? batch.find((r) => r.channel === error.delivery.event.channel)
                : undefined;
            if (failed) {
              this.#queue.unshift(...batch.filter((r) => r !== failed && !r.dropped));
              await this.#applyTogether([failed]).catch(failed.reject);
              continue;
            }
            // Anything else (a deadlock between handlers, PostgreSQL away): each run alone.
          }
        }
        for (const run of batch) if (!run.dropped) await this.#applyTogether([run]).catch(run.reject);
      }
    } finally {
      this.#transactions--;
    }
  }

  /**
   * Applies runs of distinct channels in one transaction; after COMMIT the entries are acknowledged
   * and each run's caller resolved. Throws (nothing resolved) when any part fails. The offsets are
   * locked before the handler (#applyLocked), or, for a handler whose effects are all in its
   * transaction and runs that follow where this member left their channels, checked in COMMIT's
   * round trip (#applyChecked); runs of a checked transaction that failed are applied again, locked.
   */
  async #applyTogether(all: readonly Run[]): Promise<void> {
    let runs = all;
    const moves = this.#checkedMoves(runs);
    let outcomes: ApplyResult[];
    let committedOffsets: ReadonlyMap<string, number>;
    if (moves === undefined) ({ runs, outcomes, committedOffsets } = await this.#applyLocked(runs));
    else {
      try {
        ({ runs, outcomes, committedOffsets } = await this.#applyChecked(runs, moves));
      } catch (error) {
        // Runs taken from the doorbell that the read gave to another member (or not at all) go; the
        // others go again as they were (a failure came of those runs only when this is NotOwnedError).
        runs = await this.#owned(runs);
        if (runs.length === 0) return;
        if (error instanceof NotOwnedError) return this.#applyTogether(runs);
        // Rolled back. Refused by the check: another member applied some of it (or holds the offset
        // now), something moved an offset this member did not see, or an entry is above the committed
        // head. Anything else (the handler failed, a deadlock) may come of having run where it should
        // not have: either way the runs go again at once, locked, which tells duplicates, refuses what
        // is above the head, and fails a handler that fails there to its retry policy.
        if (isCheckRefused(error)) this.metrics.checkRefusals.inc({ group: this.o.group });
        for (const { channel } of runs) this.#known.delete(channel);
        ({ runs, outcomes, committedOffsets } = await this.#applyLocked(runs));
      }
    }
    const done: { channel: string; deliveries: readonly Delivery[] }[] = [...runs];
    for (const [channel, applied] of committedOffsets) {
      // A waiting run of the channel was moved by the transaction (or no longer followed from it).
      const waiting = this.#skipped.get(channel);
      if (waiting) done.push({ channel, deliveries: waiting.deliveries });
      this.#skipped.delete(channel);
      this.#known.set(channel, applied);
    }
    await Promise.all(done.map((r) => this.acknowledge(r.channel, r.deliveries)));
    for (let i = 0; i < runs.length; i++) {
      const { channel, resolve } = runs[i]!;
      const value = outcomes[i]!;
      const labels = { group: this.o.group, class: channelClass(channel) };
      this.metrics.events.inc({ ...labels, outcome: 'applied' }, value.applied);
      if (value.duplicates > 0) this.metrics.events.inc({ ...labels, outcome: 'duplicate' }, value.duplicates);
      if (value.ahead.length > 0) {
        this.metrics.events.inc({ ...labels, outcome: 'ahead_of_head' }, value.ahead.length);
        this.logger.error(
          { channel, seqs: value.ahead },
          'stream entries above the committed head: not applied (the relay removes them)',
        );
      }
      resolve(value);
    }
  }

  /**
   * Applies runs with their offsets locked (in BEGIN's round trip): drops what is at or below each
   * (duplicates), fills any hole from replay (Redis or PostgreSQL), hands each event to the handler
   * and moves the offsets (in COMMIT's round trip). Resolves once committed. Runs taken from the
   * doorbell go to the handler only once the group's read delivered them to this member: BEGIN and the
   * lock go beside the read, and the runs that were not this member's are left out.
   */
  async #applyLocked(all: readonly Run[]): Promise<Applied> {
    const channels = all.map((r) => r.channel);
    const { value } = await this.deps.transaction(
      async (tx) => {
        // Locked with BEGIN (TransactionOptions.opening); a channel without its offset row yet (never
        // expected: members create it before reading) gets one at 0 here, so nothing is skipped.
        const offsets = lockedOffsets(tx.opened);
        const missing = channels.filter((c) => !offsets.has(c));
        if (missing.length > 0)
          for (const [c, o] of await lockOffsets(tx.client, this.o.group, missing)) offsets.set(c, o);
        const runs = await this.#owned(all);
        const advance = new Map<string, number>();
        const outcomes: ApplyResult[] = [];
        for (const { channel, deliveries } of runs) {
          const locked = offsets.get(channel)!;
          const { head } = locked;
          // A run this member skipped right before, whose move still waits, is applied (as nothing).
          const waiting = this.#skipped.get(channel);
          const applied =
            waiting && waiting.first === locked.applied + 1 && waiting.last <= head ? waiting.last : locked.applied;
          if (applied !== locked.applied) advance.set(channel, applied);
          // Redis is never the authority (invariant 13): an entry above what PostgreSQL committed on
          // the channel was written by something other than the router, and is never applied.
          const committed = deliveries.filter((d) => d.event.seq <= head);
          const ahead = deliveries.filter((d) => !(d.event.seq <= head)).map((d) => d.event.seq);
          const pending = committed.filter((d) => d.event.seq > applied);
          if (pending.length === 0) {
            outcomes.push({ applied: 0, duplicates: committed.length, ahead });
            continue;
          }
          // An entry that is not an event, where a committed event should be, is not that event:
          // the event is read from PostgreSQL in its place (as are the holes between entries).
          const valid = pending.filter((d) => d.invalid === undefined);
          const run = await this.#complete(tx, channel, applied + 1, pending.at(-1)!.event.seq, valid);
          await this.#handleAll(tx, channel, run);
          // (Nothing at all only when retention deleted the whole range: the group moves past it.)
          advance.set(channel, run.at(-1)?.event.seq ?? pending.at(-1)!.event.seq);
          outcomes.push({ applied: run.length, duplicates: committed.length - pending.length, ahead });
        }
        if (advance.size > 0) tx.closeWith(advanceOffsetsStatement(this.o.group, advance));
        const committedOffsets = new Map(
          runs.map(({ channel: c }) => [c, advance.get(c) ?? offsets.get(c)!.applied] as const),
        );
        return { runs, outcomes, committedOffsets };
        // Relaxed: if PostgreSQL crashed and lost this commit, the effects and the offset would be
        // lost together and the stalled channel applied again from replay (exactly once holds).
        // A handler that publishes events gets a flushed commit (see TransactionOptions).
      },
      { relaxedCommit: true, opening: lockOffsetsStatement(this.o.group, channels) },
    );
    return value;
  }

  /**
   * Applies runs that follow where this member left their channels (#checkedMoves) with no lock
   * before the handler (ConsumeOptions.effects = 'transaction'): BEGIN goes with the handler's first
   * statement, and the offsets move in COMMIT's round trip only from where `moves` expects them and
   * within the committed heads, else the statement fails (isCheckRefused) and nothing commits. The
   * handler may thus run on an event this member should not apply; its effects, all in the
   * transaction, roll back with it.
   */
  async #applyChecked(runs: readonly Run[], moves: ReadonlyMap<string, CheckedMove>): Promise<Applied> {
    const { value } = await this.deps.transaction(
      async (tx) => {
        for (const { channel, deliveries } of runs) await this.#handleAll(tx, channel, deliveries);
        // Runs taken from the doorbell commit only once the group's read delivered them to this member.
        for (const { owned } of runs) if (owned !== null && !(await owned)) throw new NotOwnedError();
        tx.closeWith(advanceCheckedOffsetsStatement(this.o.group, moves));
        return {
          runs,
          outcomes: runs.map((r) => ({ applied: r.deliveries.length, duplicates: 0, ahead: [] })),
          committedOffsets: new Map([...moves].map(([c, m]) => [c, m.seq])),
        };
      },
      { relaxedCommit: true }, // as #applyLocked's
    );
    return value;
  }

  /**
   * The offset moves of runs that may be applied checked (#applyChecked), or undefined when any may
   * not: the handler's effects are not all in its transaction, a run does not start right after where
   * this member last knew its channel's offset, has a hole or an entry that is not an event, or an
   * offset move of skipped runs is on its way (it would make the check fail).
   */
  #checkedMoves(runs: readonly Run[]): Map<string, CheckedMove> | undefined {
    if (this.o.effects !== 'transaction' || this.#skipFlush) return undefined;
    const moves = new Map<string, CheckedMove>();
    for (const { channel, deliveries } of runs) {
      const first = deliveries[0]?.event.seq;
      if (first === undefined || this.#known.get(channel) !== first - 1) return undefined;
      for (let i = 0; i < deliveries.length; i++) {
        const d = deliveries[i]!;
        if (d.invalid !== undefined || d.event.seq !== first + i) return undefined;
      }
      // A run this member skipped right before, whose move still waits, moves with this one.
      const waiting = this.#skipped.get(channel);
      if (waiting && waiting.last !== first - 1) return undefined;
      moves.set(channel, { expected: waiting ? waiting.first - 1 : first - 1, seq: first + deliveries.length - 1 });
    }
    return moves;
  }

  /**
   * Hands a channel's events to the handler, in order. Each one's delivery lag (commit → this
   * handler start) is observed once the transaction commits: an attempt that rolled back (a refused
   * check, a failed handler) did not deliver the event, and its retry is observed instead.
   */
  async #handleAll(tx: Transaction, channel: string, deliveries: readonly Delivery[]): Promise<void> {
    const labels = { group: this.o.group, class: channelClass(channel) };
    for (const d of deliveries) {
      const lagSeconds = Math.max(0, Date.now() - d.event.ts) / 1000;
      tx.onCommit(() => this.metrics.deliveryLag.observe(labels, lagSeconds));
      await this.handle(tx, d);
    }
  }

  /**
   * A run of events none of which the handler acts on (ConsumeOptions.types, ignores), with no hole
   * (#ignoredRun, which the caller asked): the offset moves past it in one statement (skipOffset), no
   * transaction. 'no' when the offset is not where it follows from: the locked path applies it then.
   */
  async #skipUnhandled(channel: string, deliveries: readonly Delivery[]): Promise<'no' | 'moved' | 'waiting'> {
    const first = deliveries[0]!.event.seq;
    const last = deliveries.at(-1)!.event.seq;
    if (this.o.skipDelayMs > 0 && this.#known.get(channel) === first - 1) {
      // Where this member left the channel: the move waits and goes with the others of the next
      // skipDelayMs in one statement (a run the handler ignores has no effect to lose meanwhile).
      const waiting = this.#skipped.get(channel);
      if (waiting) {
        waiting.last = last;
        waiting.deliveries.push(...deliveries);
      } else this.#skipped.set(channel, { first, last, deliveries: [...deliveries] });
      this.#known.set(channel, last);
      this.#skipTimer ??= setTimeout(() => void this.flushSkips(), this.o.skipDelayMs);
      return 'waiting';
    }
    // A run of this channel still waiting (or being sent) goes first.
    if (this.#skipped.has(channel) || this.#skipFlush) await this.flushSkips();
    if (!(await skipOffset(this.deps.pool, this.o.group, channel, first, last))) return 'no';
    this.#known.set(channel, last);
    return 'moved';
  }

  /**
   * Moves the offsets past the runs waiting since the last flush, in one statement; each only while
   * its channel's offset is where the run follows from and the run is within the committed head
   * (skipOffset's conditions). A run that does not move was applied otherwise (another member, a
   * transaction of this one) or its channel is not where this member thought: forgotten, and the
   * channel's next run goes the checked way. Never rejects.
   */
  flushSkips(): Promise<void> {
    clearTimeout(this.#skipTimer);
    this.#skipTimer = undefined;
    if (this.#skipped.size === 0) return this.#skipFlush ?? Promise.resolve();
    const runs = new Map(this.#skipped);
    this.#skipped.clear();
    const previous = this.#skipFlush;
    const flush = (async () => {
      await previous;
      try {
        const moved = await skipOffsets(this.deps.pool, this.o.group, runs);
        for (const channel of runs.keys()) if (!moved.has(channel)) this.#known.delete(channel);
        // (A run that did not move was applied otherwise: its entries are done too.)
        await Promise.all([...runs].map(([channel, run]) => this.acknowledge(channel, run.deliveries)));
      } catch (error) {
        for (const channel of runs.keys()) this.#known.delete(channel);
        // Not acknowledged: the entries come back (this member's PEL, or claimed by another).
        this.logger.warn({ err: error, channels: runs.size }, 'moving offsets past skipped runs failed');
      }
    })();
    this.#skipFlush = flush.finally(() => {
      if (this.#skipFlush === flush) this.#skipFlush = undefined;
    });
    return flush;
  }

  /**
   * A latest-value channel's deliveries (invariant 14): at least once, in order within this member,
   * with no offset. The handler's transaction is lazy, so a handler that finds nothing to do costs
   * PostgreSQL nothing; its effects must be idempotent (a crash before the XACK delivers the event
   * again, to this member or, claimed, to another). What this member applied before is skipped.
   */
  async #applyLatest(channel: string, deliveries: readonly Delivery[]): Promise<ApplyResult> {
    const labels = { group: this.o.group, class: channelClass(channel) };
    const newest = this.#latestApplied.get(channel) ?? 0;
    const run = deliveries.filter((d) => d.event.seq > newest);
    if (run.length > 0) {
      await this.deps.transaction((tx) => this.#handleAll(tx, channel, run), { relaxedCommit: true, lazy: true });
      this.#latestApplied.set(channel, run.at(-1)!.event.seq);
    }
    await this.acknowledge(channel, deliveries);
    this.metrics.events.inc({ ...labels, outcome: 'applied' }, run.length);
    const duplicates = deliveries.length - run.length;
    if (duplicates > 0) this.metrics.events.inc({ ...labels, outcome: 'duplicate' }, duplicates);
    return { applied: run.length, duplicates, ahead: [] };
  }

  /**
   * Decodes one delivery (once: what `decode` returns is what the handler gets) and runs the handler
   * on it in `tx`. Throws DeliveryFailure: invalid when it is not an event or does not decode.
   */
  async handle(tx: Transaction, d: Delivery): Promise<void> {
    if (d.invalid !== undefined) throw new DeliveryFailure(d, true, d.invalid);
    if (!this.o.handles(d.event.type)) return; // not one of the handler's types: applied as nothing
    const decoded = this.#decode(d);
    // One the handler would apply as nothing (ConsumeOptions.ignores), asked again now, in order.
    if (this.#ignores(decoded)) return;
    const end = this.metrics.handlerDuration.startTimer({ group: this.o.group, class: channelClass(d.event.channel) });
    try {
      await this.o.handler(decoded, { tx, signal: this.signal, deliveries: d.deliveries });
    } catch (cause) {
      throw new DeliveryFailure(d, false, cause);
    } finally {
      end();
    }
  }

  /** What `decode` made of a delivery (once per delivery). Throws DeliveryFailure (invalid) when it does not decode. */
  #decode(d: Delivery): unknown {
    if (this.#decoded.has(d)) return this.#decoded.get(d);
    let decoded: unknown;
    try {
      decoded = this.o.decode(d.event);
    } catch (cause) {
      throw new DeliveryFailure(d, true, cause);
    }
    this.#decoded.set(d, decoded);
    return decoded;
  }

  /** Whether `deliveries` are consecutive events, at least one, none of which the handler acts on (#ignored). */
  #ignoredRun(deliveries: readonly Delivery[]): boolean {
    if (deliveries.length === 0) return false;
    for (let i = 0; i < deliveries.length; i++) {
      const d = deliveries[i]!;
      if (!this.#ignored(d)) return false;
      if (i > 0 && d.event.seq !== deliveries[i - 1]!.event.seq + 1) return false;
    }
    return true;
  }

  /**
   * `runs` without those taken from the doorbell that the group's read did not deliver to this member,
   * once it answered: each of those is resolved as nothing and leaves every transaction.
   */
  async #owned(runs: readonly Run[]): Promise<Run[]> {
    const kept: Run[] = [];
    for (const run of runs) {
      if (run.owned === null || (await run.owned)) kept.push(run);
      else {
        run.dropped = true;
        run.resolve(NOTHING);
      }
    }
    return kept;
  }

  /**
   * Whether the handler would apply `d` as nothing: not one of its types, or one it ignores
   * (ConsumeOptions.ignores). Never for what is not an event or does not decode, nor when `ignores`
   * throws: those take the locked path (and the dead letter).
   */
  #ignored(d: Delivery): boolean {
    if (d.invalid !== undefined) return false;
    if (!this.o.handles(d.event.type)) return true;
    let decoded: unknown;
    try {
      decoded = this.#decode(d);
    } catch {
      return false;
    }
    return this.#ignores(decoded);
  }

  /** ConsumeOptions.ignores' answer (false without it, or when it throws). */
  #ignores(decoded: unknown): boolean {
    if (this.o.ignores === null) return false;
    try {
      return this.o.ignores(decoded) === true;
    } catch {
      return false;
    }
  }

  /** Acknowledges what was read from the stream (replayed deliveries have no entry). */
  async acknowledge(channel: string, deliveries: readonly Delivery[]): Promise<void> {
    const ids = deliveries.flatMap((d) => (d.id === null ? [] : [d.id]));
    if (!(await acknowledge(this.deps.redis, this.o.group, channel, ids))) {
      this.logger.warn({ channel, entries: ids.length }, 'XACK failed; the entries come back as duplicates');
    }
  }

  /** Every event `from`..`to`: the deliveries `fresh` where they are, the rest read by replay. */
  // Reads go through the transaction's own connection: a transaction that waited for a second
  // pool connection while holding its own could starve the pool (regression: 3 members, 50 channels).
  async #complete(
    tx: Transaction,
    channel: string,
    from: number,
    to: number,
    fresh: readonly Delivery[],
  ): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let expected = from;
    for (const d of fresh) {
      if (d.event.seq > expected) out.push(...(await this.#fetch(tx, channel, expected, d.event.seq - 1)));
      out.push(d);
      expected = d.event.seq + 1;
    }
    if (expected <= to) out.push(...(await this.#fetch(tx, channel, expected, to)));
    return out;
  }

  async #fetch(tx: Transaction, channel: string, from: number, to: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let since = from;
    while (since <= to) {
      let page;
      try {
        page = await this.deps.replay(channel, { sinceSeq: since, limit: Math.min(1_000, to - since + 1) }, { tx });
      } catch (error) {
        if (!(error instanceof ReplayExpiredError) || error.earliestSeq === null) throw error;
        // Retention deleted them (a group away for longer than the class keeps): go on from the earliest kept.
        this.logger.warn(
          { group: this.o.group, channel, from: since, earliest: error.earliestSeq },
          'events expired before this group applied them',
        );
        since = error.earliestSeq;
        continue;
      }
      if (page.events.length === 0) break;
      out.push(...replayedDeliveries(page.events.filter((event) => event.seq <= to)));
      since = page.next;
    }
    return out;
  }
}
