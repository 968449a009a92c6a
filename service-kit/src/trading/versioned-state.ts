import { STATE_VERSION_KEY } from '@recio/contract';
import type { RedisClient } from '@recio/router';
import type { Logger } from 'pino';

/** How long a version key lives without a bump (a lost key only costs each replica one reload). */
const VERSION_TTL_S = 86_400;

/** Options of {@link VersionedState}. */
export interface VersionedStateOptions<T> {
  /** The consumer group whose tick handlers read the state (one version key per group). */
  group: string;
  redis: RedisClient;
  /** Reads the state from PostgreSQL (the authority); a first look, so no transaction is needed (poolReader). */
  load: () => Promise<T>;
  logger: Logger;
  /** Loaded again at least this often, whatever the version says (a bump lost with a crash). @defaultValue 60000 */
  maxAgeMs?: number;
}

/** A replica's copy: the state, the version it is current at (null: unknown), when it was loaded. */
interface Copy<T> {
  value: T;
  version: string | null;
  at: number;
}

/**
 * What a group's tick handlers read on every price tick (settings, live trades, entry states),
 * held in memory instead of read from PostgreSQL each second (ARCHITECTURE invariant 14). Every
 * replica keeps its own copy; a commit that changes the state bumps the group's version in Redis
 * (`cache:version:<group>`, after COMMIT), and a replica reloads from PostgreSQL when the version it
 * loaded at is no longer the current one, or when its copy is `maxAgeMs` old. A tick costs one Redis
 * GET. Redis is a cache here, never the authority: a copy may be a tick late, so whatever moves
 * money is decided again in PostgreSQL, under lock, from the rows themselves.
 */
export class VersionedState<T> {
  readonly #o: Required<VersionedStateOptions<T>>;
  readonly #key: string;
  #copy: Copy<T> | undefined;
  /** What the last change still in flight leaves as the copy (undefined: it is read again). */
  #pending: Promise<Copy<T> | undefined> | undefined;

  constructor(options: VersionedStateOptions<T>) {
    this.#o = { maxAgeMs: 60_000, ...options };
    this.#key = STATE_VERSION_KEY.key(options.group);
  }

  /** The state: the copy when its version is current, else read again from PostgreSQL. */
  async get(now = Date.now()): Promise<T> {
    const version = await this.#current();
    const copy = this.#copy;
    if (copy && version !== null && copy.version === version && now - copy.at < this.#o.maxAgeMs) return copy.value;
    // The version is read before the state: a change committed meanwhile bumps it past this one.
    const value = await this.#o.load();
    this.#copy = { value, version, at: now };
    return value;
  }

  /**
   * The state changed (call after COMMIT, e.g. from `tx.onCommit`): this replica's copy is dropped
   * at once and the others' at their next tick. A bump Redis does not take only costs time: the
   * copies are reloaded after `maxAgeMs` anyway.
   *
   * `update`, when given, is what the commit changed, applied to the copy (returning a new value,
   * never changing the one it gets): when this replica's copy was current and the bump is the very
   * next version, no other change was announced in between, and the copy becomes that version
   * updated, with no reload. Changes of this replica in flight together chain: each builds on what
   * the one before leaves. (A change committed elsewhere whose bump is not in yet bumps the
   * version past it and the copy is reloaded at the next tick; one whose bump is lost is read
   * within `maxAgeMs`, as without `update`.) Resolves once the bump is answered; never rejects.
   */
  changed(update?: (value: T) => T): Promise<void> {
    const copy = this.#copy;
    this.#copy = undefined;
    const previous = this.#pending;
    // Sent now, on one connection: the bumps reach Redis in the order of the calls.
    const bump = this.#o.redis
      .multi()
      .set(this.#key, freshVersion(), 'EX', VERSION_TTL_S, 'NX') // a lost key starts from the clock, never from 0
      .incr(this.#key)
      .expire(this.#key, VERSION_TTL_S)
      .exec();
    const pending = (async (): Promise<Copy<T> | undefined> => {
      // A copy dropped by a change still in flight: this one builds on what that one leaves.
      const base = copy ?? (await previous);
      let results;
      try {
        results = await bump;
      } catch (err) {
        this.#o.logger.warn({ err }, 'state version not bumped; replicas reload within maxAgeMs');
        return undefined;
      }
      const [error, bumped] = results?.[1] ?? [null, null];
      if (!update || !base || base.version === null) return undefined;
      if (error || typeof bumped !== 'number' || BigInt(bumped) !== BigInt(base.version) + 1n) return undefined;
      try {
        return { value: update(base.value), version: String(bumped), at: base.at };
      } catch (err) {
        this.#o.logger.warn({ err }, 'state update failed; the copy is read again');
        return undefined;
      }
    })();
    this.#pending = pending;
    return pending.then((next) => {
      if (this.#pending !== pending) return; // a later change builds on it
      this.#pending = undefined;
      // A copy loaded meanwhile (a tick did not wait) is newer: it stays.
      if (next && this.#copy === undefined) this.#copy = next;
    });
  }

  /**
   * The group's current version; null when Redis fails. A missing key (expired, or Redis emptied) is
   * created from the clock, never from 0: a version seen before the loss must not come back, or a
   * copy loaded then would pass for current.
   */
  async #current(): Promise<string | null> {
    try {
      const version = await this.#o.redis.get(this.#key);
      if (version !== null) return version;
      await this.#o.redis.set(this.#key, freshVersion(), 'EX', VERSION_TTL_S, 'NX');
      return await this.#o.redis.get(this.#key);
    } catch (err) {
      this.#o.logger.warn({ err }, 'state version unreadable; reading the state from PostgreSQL');
      return null;
    }
  }
}

/** A version for a key that is missing: from the clock, so no version seen before comes back. */
function freshVersion(): string {
  return String(Date.now() * 1_000 + Math.floor(Math.random() * 1_000));
}
