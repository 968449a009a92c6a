import { RATE_LIMIT_KEY } from '@recio/contract';
import type { RedisClient } from '@recio/router';
import { HttpError } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** What a request spends: an order (open or close), a settings change, a read, a replay page. */
export type LimitKind = 'orders' | 'settings' | 'reads' | 'replay';

/** A budget: `points` requests per window of `durationSeconds`, per user. */
export interface Limit {
  points: number;
  durationSeconds: number;
}

/**
 * Which budget a request spends, by method and route pattern (`/trades/:id/close`); null for
 * signing out, which must always work (a trader who spent their settings budget would otherwise
 * stay signed in on a shared machine).
 */
export function limitKindOf(method: string, route: string): LimitKind | null {
  if (method === 'DELETE' && route.endsWith('/session')) return null;
  if (method === 'POST' && (route.endsWith('/trades') || route.endsWith('/close'))) return 'orders';
  if (route.endsWith('/replay')) return 'replay';
  if (method !== 'GET' && method !== 'HEAD') return 'settings';
  return 'reads';
}

/**
 * Per-user request budgets shared by every main-app replica: counted in Redis (rate-limiter-flexible,
 * one key per user and kind, expiring with its window), so a user's ceiling is the same however
 * many replicas serve them. While Redis cannot answer, each replica counts in memory
 * (the insurance limiter) and says so in `recio_rate_limit_fallbacks_total`: requests keep being
 * limited, never refused for Redis being down.
 */
export class RequestLimits {
  readonly #limiters: Record<LimitKind, RateLimiterRedis>;
  readonly #refused: Counter<'kind'>;

  constructor(redis: RedisClient, limits: Record<LimitKind, Limit>, logger: Logger, registry: Registry) {
    const fallbacks = new Counter({
      name: 'recio_rate_limit_fallbacks_total',
      help: 'Rate limit checks answered in memory because Redis could not',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.#refused = new Counter({
      name: 'recio_rate_limited_total',
      help: 'Requests refused with 429 RATE_LIMITED, by budget',
      labelNames: ['kind'],
      registers: [registry],
    });
    const make = (kind: LimitKind): RateLimiterRedis => {
      const { points, durationSeconds: duration } = limits[kind];
      return new RateLimiterRedis({
        storeClient: redis,
        // rate-limiter-flexible writes `<keyPrefix>:<user>`, which is RATE_LIMIT_KEY(kind, user) (a test checks it)
        keyPrefix: RATE_LIMIT_KEY.key(kind, '').slice(0, -1),
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new InsuranceLimiter({ points, duration }, () => {
          fallbacks.inc({ kind });
          logger.warn({ kind }, 'rate limit counted in memory: Redis did not answer');
        }),
      });
    };
    this.#limiters = {
      orders: make('orders'),
      settings: make('settings'),
      reads: make('reads'),
      replay: make('replay'),
    };
  }

  /** Spends one request of `kind` for `userId`; throws 429 RATE_LIMITED (with Retry-After) when none is left. */
  async spend(kind: LimitKind, userId: string, reply: { header(name: string, value: string): unknown }): Promise<void> {
    const waitMs = await this.trySpend(kind, userId);
    if (waitMs === null) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1_000));
    reply.header('retry-after', String(seconds));
    throw new HttpError(429, 'RATE_LIMITED', `too many ${kind} requests; retry in ${seconds} s`);
  }

  /** Spends one request of `kind` for `userId`: null when it was there, else how long until one is (refused, counted). */
  async trySpend(kind: LimitKind, userId: string): Promise<number | null> {
    try {
      await this.#limiters[kind].consume(userId);
      return null;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      this.#refused.inc({ kind });
      return err.msBeforeNext;
    }
  }
}

/** The in-memory limiter used while Redis cannot answer, telling each time it is. */
class InsuranceLimiter extends RateLimiterMemory {
  readonly #onUse: () => void;

  constructor(options: ConstructorParameters<typeof RateLimiterMemory>[0], onUse: () => void) {
    super(options);
    this.#onUse = onUse;
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): ReturnType<RateLimiterMemory['consume']> {
    this.#onUse();
    return super.consume(...args);
  }
}
