import pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { countClientStatements } from './pg-statements.js';

/**
 * The advisory lock key of each role that elects a leader (two int4 halves: 'reci' and the role),
 * in one place so no two roles share one.
 */
export const LEADER_KEYS = {
  relay: [0x72656369, 1],
  healthController: [0x72656369, 2],
} as const satisfies Record<string, readonly [number, number]>;

/** How long PostgreSQL waits before it drops an unreachable holder's lock, unless told otherwise. */
export const LEADER_DEAD_HOLDER_SECONDS = 10;

/** Options of a {@link LeaderLock}. */
export interface LeaderLockOptions {
  /** PostgreSQL connection string; the lock lives on a dedicated connection. */
  databaseUrl: string;
  /** The advisory lock key (two int4 halves), one per role. */
  key: readonly [number, number];
  logger: Logger;
  /** Seconds after which PostgreSQL drops an unreachable holder (TCP keepalive). @defaultValue {@link LEADER_DEAD_HOLDER_SECONDS} */
  deadHolderSeconds?: number;
  /**
   * Where the lock's round trips are counted (`recio_pg_statements_total` of `source`), beside its
   * process's pool: every statement a service sends is in the figures. Not counted when absent.
   */
  statements?: { registry: Registry; source: string };
}

/**
 * Leadership through a PostgreSQL session advisory lock. The lock is bound to the holder's
 * connection: a holder killed with SIGKILL releases it at once (its socket closes), and one
 * cut off by the network within `deadHolderSeconds` (server-side TCP keepalives). The holder
 * checks its connection at most every quarter of that (a round trip that must answer within half
 * of it), so it knows it lost the lock before the server can hand it to another process. A second
 * leader for a moment would be harmless for the relay anyway: appends are compare-and-set.
 */
export class LeaderLock {
  readonly #o: LeaderLockOptions & { deadHolderSeconds: number };
  #client: pg.Client | undefined;
  #held = false;
  /** When the held lock's connection last answered. */
  #verifiedAt = 0;
  #acquiring: Promise<boolean> | undefined;

  constructor(options: LeaderLockOptions) {
    this.#o = { deadHolderSeconds: LEADER_DEAD_HOLDER_SECONDS, ...options };
  }

  /** True while this process holds the lock (as far as it knows). */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Tries once to take the lock; resolves to whether this process holds it now. A broken
   * connection loses the lock (the server released it) and is replaced on the next call.
   */
  tryAcquire(): Promise<boolean> {
    // One attempt at a time: two callers at once (a controller's evaluation and its sweep) would
    // each open a connection, and one could hold the lock on a connection nothing remembers.
    this.#acquiring ??= this.#tryAcquire().finally(() => (this.#acquiring = undefined));
    return this.#acquiring;
  }

  async #tryAcquire(): Promise<boolean> {
    if (this.#held && this.#client) return this.#verify(this.#client);
    const client = (this.#client ??= await this.#connect());
    const [a, b] = this.#o.key;
    try {
      const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [a, b]);
      this.#held = result.rows[0]?.ok === true;
    } catch (err) {
      // A connection that did not answer (or is gone) is not asked again: the next call opens another.
      this.#drop(client);
      throw err;
    }
    this.#verifiedAt = Date.now();
    return this.#held;
  }

  /** Whether the held lock's connection still answers (asked at most every deadHolderSeconds / 4). */
  async #verify(client: pg.Client): Promise<boolean> {
    if (Date.now() - this.#verifiedAt < (this.#o.deadHolderSeconds * 1000) / 4) return true;
    try {
      await client.query('SELECT 1');
      this.#verifiedAt = Date.now();
      return true;
    } catch (err) {
      this.#o.logger.warn({ err }, 'leader lock connection did not answer; leadership released');
      this.#drop(client);
      return false;
    }
  }

  /** Forgets `client` (and the lock, if it was held on it) and closes it without waiting. */
  #drop(client: pg.Client): void {
    if (this.#client === client) {
      this.#client = undefined;
      this.#held = false;
    }
    client.end().catch(() => undefined);
  }

  /**
   * Releases the lock and closes its connection. Idempotent. Waits at most half of
   * deadHolderSeconds for the close: a connection cut off by the network would hold it for minutes
   * (the server drops that session by itself).
   */
  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, (this.#o.deadHolderSeconds * 1000) / 2))),
    ]);
    clearTimeout(timer);
  }

  async #connect(): Promise<pg.Client> {
    const idle = Math.max(1, Math.floor(this.#o.deadHolderSeconds / 3));
    const client = new pg.Client({
      connectionString: this.#o.databaseUrl,
      application_name: 'recio-leader-lock',
      keepAlive: true,
      keepAliveInitialDelayMillis: idle * 1000,
      // A check that does not answer within half the server's patience means the lock is gone; a
      // connection that does not open within it is given up (a partition would hold it forever).
      query_timeout: (this.#o.deadHolderSeconds * 1000) / 2,
      connectionTimeoutMillis: (this.#o.deadHolderSeconds * 1000) / 2,
    });
    const counted = this.#o.statements;
    if (counted) countClientStatements(client, counted.registry, counted.source);
    client.on('error', (err) => {
      this.#o.logger.warn({ err }, 'leader lock connection lost; leadership released');
      this.#drop(client);
    });
    await client.connect();
    try {
      // The server drops a vanished holder after idle + 2 × interval seconds.
      await client.query(
        `SET tcp_keepalives_idle = ${idle}; SET tcp_keepalives_interval = ${idle}; SET tcp_keepalives_count = 2`,
      );
    } catch (err) {
      this.#drop(client); // opened, then did not answer: closed, not kept
      throw err;
    }
    return client;
  }
}
