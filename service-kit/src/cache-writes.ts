import type { KeyFamily } from '@recio/contract';
import { errorCode } from '@recio/router';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

/**
 * Best-effort writes of cache keys (the current price, the price series, live trades): a cache is
 * never worth failing a service for, but a refused one must not go unseen. Every failure is counted
 * by key family; a refusal by Redis's ACL (NOPERM: the key and the service user's rules disagree,
 * which no retry fixes) is logged as an error, anything else (Redis away) at debug.
 */
export class CacheWrites {
  readonly #failures: Counter<'family' | 'code'>;
  readonly #logger: Logger;

  constructor(registry: Registry, logger: Logger) {
    this.#logger = logger;
    this.#failures = new Counter({
      name: 'recio_cache_write_errors_total',
      help: 'Failed cache or time-series writes, by key family and error code (NOPERM: refused by the ACL)',
      labelNames: ['family', 'code'],
      registers: [registry],
    });
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
