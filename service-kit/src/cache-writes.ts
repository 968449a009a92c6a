import type { KeyFamily } from '@recio/contract';
import { errorCode } from '@recio/router';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

/**
 * Cache reads, hits and misses counted by key family, and best-effort writes of cache keys (the
 * current price, the price series, live trades, a trader's page snapshot): a cache is never worth
 * failing a service for, but a refused write must not go unseen. Every failure is counted
 * by key family; a refusal by Redis's ACL (NOPERM: the key and the service user's rules disagree,
 * which no retry fixes) is logged as an error, anything else (Redis away) at debug.
 */
export class CacheWrites {
  readonly #failures: Counter<'family' | 'code'>;
  readonly #hits: Counter<'family'>;
  readonly #misses: Counter<'family'>;
  readonly #logger: Logger;
  /** Families read so far: both their counters exist from the first read, a hit or a miss. */
  readonly #read = new Set<string>();

  constructor(registry: Registry, logger: Logger) {
    this.#logger = logger;
    this.#failures = new Counter({
      name: 'recio_cache_write_errors_total',
      help: 'Failed cache or time-series writes, by key family and error code (NOPERM: refused by the ACL)',
      labelNames: ['family', 'code'],
      registers: [registry],
    });
    this.#hits = new Counter({
      name: 'recio_cache_hits_total',
      help: 'Cache reads answered by Redis, by key family',
      labelNames: ['family'],
      registers: [registry],
    });
    this.#misses = new Counter({
      name: 'recio_cache_misses_total',
      help: 'Cache reads Redis could not answer (absent, expired, not valid, or Redis away), by key family',
      labelNames: ['family'],
      registers: [registry],
    });
  }

  /**
   * Reads a cached value: `read` gets it from Redis and `decode` checks it (null: not valid, such as
   * a format an older release wrote). Resolves to the value on a hit, or null on a miss (absent,
   * expired, not valid, Redis away: the caller goes to PostgreSQL); counts each, never throws.
   */
  async read<T>(
    family: KeyFamily,
    read: () => Promise<string | null>,
    decode: (text: string) => T | null,
  ): Promise<T | null> {
    let value: T | null = null;
    try {
      const text = await read();
      value = text === null ? null : decode(text);
    } catch (err) {
      this.#logger.debug({ err, family: family.name }, 'cache read failed');
    }
    if (!this.#read.has(family.name)) {
      // A dashboard shows "0 hits" rather than nothing until the first hit (and increase() sees it).
      this.#read.add(family.name);
      this.#hits.inc({ family: family.name }, 0);
      this.#misses.inc({ family: family.name }, 0);
    }
    (value === null ? this.#misses : this.#hits).inc({ family: family.name });
    return value;
  }

  /** Runs `write` (the commands on keys of `family`); resolves to whether it succeeded, never throws. */
  async attempt(family: KeyFamily, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      const code = errorCode(err);
      this.#failures.inc({ family: family.name, code });
      if (code === 'NOPERM') this.#logger.error({ err, family: family.name }, 'cache write refused by the Redis ACL');
      else this.#logger.debug({ err, family: family.name }, 'cache write failed');
      return false;
    }
  }
}
