/**
 * The one backoff of the platform: base × 2^attempt, capped, then jittered. Retries of handlers,
 * reconnects to Redis, the exchange and the price feed, account syncs, price stores and the dev
 * supervisor's restarts all use it, each with its own policy.
 */
export interface BackoffPolicy {
  /** The delay ceiling of the first retry. */
  readonly baseMs: number;
  /** The largest ceiling. */
  readonly maxMs: number;
  /**
   * `none`: the ceiling itself; `equal`: uniform in [ceiling/2, ceiling] (never much sooner than
   * planned); `full`: uniform in [0, ceiling] (spreads a crowd of clients the most). @defaultValue 'none'
   */
  readonly jitter?: 'none' | 'equal' | 'full';
}

/** The delay before retry number `attempt` (0 for the first retry), in ms. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  switch (policy.jitter ?? 'none') {
    case 'none':
      return ceiling;
    case 'equal':
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    case 'full':
      return Math.round(random() * ceiling);
  }
}
