import type { Pool } from 'pg';
import type { CommittedEvent } from './event.js';
import { insertEvents, type NewEvent } from './sql/insert-events.js';

interface Waiter {
  events: readonly NewEvent[];
  resolve: (committed: CommittedEvent[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for publishes that run in a transaction of their own: while `maxInFlight`
 * statements are running, later calls wait and then go together in one statement (one
 * COMMIT, one fsync). Nothing waits when the router is idle, so latency is unchanged at low
 * rates; under load one channel is no longer limited to one commit per event (its head row
 * lock is held until COMMIT, which serialises its statements). Every caller still resolves
 * only after the commit that holds its events.
 */
export class PublishBatcher {
  readonly #queue: Waiter[] = [];
  #inFlight = 0;

  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly maxInFlight: number,
    private readonly maxBatchEvents: number,
  ) {}

  /** Commits `events` (atomically, in order) and resolves to their committed form. */
  commit(events: readonly NewEvent[]): Promise<CommittedEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, resolve, reject });
      if (this.#inFlight < this.maxInFlight) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#inFlight++;
    try {
      while (this.#queue.length > 0) {
        // Take whole waiters (a caller's events commit together) up to the batch size.
        const batch: Waiter[] = [this.#queue.shift()!];
        let size = batch[0]!.events.length;
        while (this.#queue.length > 0 && size + this.#queue[0]!.events.length <= this.maxBatchEvents) {
          const next = this.#queue.shift()!;
          size += next.events.length;
          batch.push(next);
        }
        await this.#commitBatch(batch);
      }
    } finally {
      this.#inFlight--;
    }
  }

  async #commitBatch(batch: Waiter[]): Promise<void> {
    try {
      const committed = await insertEvents(
        this.pool,
        batch.flatMap((w) => w.events),
        this.source,
      );
      let offset = 0;
      for (const w of batch) {
        w.resolve(committed.slice(offset, offset + w.events.length));
        offset += w.events.length;
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
