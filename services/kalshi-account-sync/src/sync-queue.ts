import { backoffDelay } from '@recio/contract';
import type { Logger } from 'pino';
import { mergeScopes, type SyncScope } from './sync-scope.js';

/** Options of {@link SyncQueue}. */
export interface SyncQueueOptions {
  /** Runs one sync; a throw is retried with backoff (merged with whatever was requested meanwhile). */
  run: (scope: SyncScope) => Promise<void>;
  logger: Logger;
  /** First retry delay after a failed sync; doubles per failure. @defaultValue 1000 */
  retryBaseMs?: number;
  /** Largest retry delay. @defaultValue 60000 */
  retryMaxMs?: number;
  /** Once aborted (the service drains), a failed sync is not retried. @defaultValue undefined */
  signal?: AbortSignal;
}

const DEFAULTS = { retryBaseMs: 1_000, retryMaxMs: 60_000 };

/**
 * One user's syncs, one at a time: requests that arrive while a sync runs are merged into one
 * pending scope (a burst of WebSocket messages costs one more sync, not one each), so two syncs
 * of a user never race. A failed sync is retried after a backoff, together with anything
 * requested meanwhile.
 */
export class SyncQueue {
  readonly #run: (scope: SyncScope) => Promise<void>;
  readonly #logger: Logger;
  readonly #o: typeof DEFAULTS;
  readonly #signal: AbortSignal | undefined;
  #pending: SyncScope | null = null;
  #busy = false;
  #current: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: SyncQueueOptions) {
    const o = { ...DEFAULTS, ...options };
    if (!(o.retryBaseMs > 0)) throw new RangeError(`option retryBaseMs: must be > 0, got ${o.retryBaseMs}`);
    if (!(o.retryMaxMs >= o.retryBaseMs))
      throw new RangeError(`option retryMaxMs: must be >= retryBaseMs, got ${o.retryMaxMs}`);
    this.#run = o.run;
    this.#logger = o.logger;
    this.#o = { retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs };
    this.#signal = o.signal;
  }

  /** Asks for a sync of `scope`; it runs now, or after the running one (merged with other requests). */
  request(scope: SyncScope): void {
    if (this.#closed) return;
    this.#pending = this.#pending ? mergeScopes(this.#pending, scope) : scope;
    this.#kick();
  }

  /** Stops taking requests and cancels a pending retry; resolves when the running sync has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#pending = null;
    await this.#current;
  }

  #kick(): void {
    if (this.#busy || this.#retryTimer || this.#closed || !this.#pending) return;
    this.#busy = true;
    this.#current = this.#drain().finally(() => {
      this.#busy = false;
      // A request may have arrived between the loop's last check and here.
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending && !this.#closed) {
      const scope = this.#pending;
      this.#pending = null;
      try {
        await this.#run(scope);
        this.#failures = 0;
      } catch (err) {
        if (this.#closed || this.#signal?.aborted) return;
        this.#pending = this.#pending ? mergeScopes(scope, this.#pending) : scope;
        const delay = backoffDelay({ baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs }, this.#failures);
        this.#failures += 1;
        this.#logger.warn(
          { err, reasons: scope.reasons, retryInMs: delay, failures: this.#failures },
          'account sync failed; retrying',
        );
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#kick();
        }, delay);
        return;
      }
    }
  }
}
