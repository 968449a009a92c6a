import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { paperExchangeEnv, SERVICES, serviceUrl, type ServiceSpec } from '@recio/platform';
import {
  CONTROL_PORT,
  ControlServer,
  ensureDatabaseRolePasswords,
  ensureDevAccounts,
  ensureRedisUserPasswords,
  platformProcesses,
  Supervisor,
  type DevAccounts,
  type ProcessSpec,
} from '@recio/stack';
import { applyRedisUsers } from '@recio/service-kit';
import {
  startRedisServer,
  startSentinelGroup,
  type PostgresHandle,
  type RedisServerHandle,
  type SentinelGroup,
} from '@recio/topology';
import { Redis } from 'ioredis';
import pg from 'pg';
import { unsettled } from './quiescence.js';

/** A database of the run's own; dropped when the run closes. */
export interface RunDatabase {
  url: string;
  /** The PostgreSQL server, when the run has one of its own (to restart it: the fault table). */
  server?: PostgresHandle;
  drop(): Promise<void>;
}

/**
 * The run's Redis: a standalone server of its own, with an append-only file when `persistence`
 * (so it can be stopped and come back with its data), or a Sentinel group (a master, a replica and
 * three sentinels) the services find through the sentinels, as in the charts' sentinel mode.
 */
export type RunRedis = { mode: 'standalone'; persistence?: boolean } | { mode: 'sentinel' };

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const HEALTH_CONTROLLER = 'health-controller';

/** A price move the world makes (see the paper exchange's PAPER_SHOCKS). */
export interface Shock {
  atMs: number;
  pct: number;
  overSeconds: number;
}

/** How a run is set up. */
export interface RunOptions {
  seed: string;
  /** Simulated start, ms (UTC). */
  startMs: number;
  /** Simulated seconds per world step (one price tick each). */
  tickSeconds: number;
  shocks: Shock[];
  /** The users and the settings each one PATCHes before the day starts. */
  users: { id: string; settings: unknown }[];
  balanceCents: number;
  /** Added to every catalogue port, so a run does not meet `make dev` on this machine. */
  portOffset: number;
  /** Where the processes' output goes. */
  logFile: string;
  /** Makes the run's database (tests clone the migrated template). */
  database: () => Promise<RunDatabase>;
  /**
   * The world's clock: `stepped` (the run moves it, step()) or real time at `speed` simulated
   * seconds per second (the query-count bench). @defaultValue { mode: 'stepped' }
   */
  clock?: { mode: 'stepped' } | { mode: 'realtime'; speed: number };
  /** @defaultValue { mode: 'standalone' } without persistence */
  redis?: RunRedis;
  /**
   * Run the health controller too, with this environment on top of the rest, restarting processes
   * through a control API of the run's own (as `make dev`'s supervisor offers it). The trading days
   * leave it out: their outcome must not depend on its timing. @defaultValue not run
   */
  healthController?: Record<string, string>;
}

/** One run of the whole platform on the paper world, driven step by step. */
export class PlatformRun {
  readonly options: RunOptions;
  readonly supervisor: Supervisor;
  readonly db: pg.Pool;
  /** The run's standalone Redis, or the Sentinel group's (see {@link RunRedis}). */
  readonly redisServer: RedisServerHandle | SentinelGroup;
  readonly database: RunDatabase;
  readonly #dir: string;
  readonly #log: WriteStream;
  readonly #adminToken: string;
  readonly #accounts: DevAccounts;
  readonly #catalogue: ServiceSpec[];
  /** What the supervisor runs (command and environment of each process). */
  readonly processes: readonly ProcessSpec[];
  readonly #control: ControlServer;
  #simNowMs: number;

  private constructor(init: {
    options: RunOptions;
    supervisor: Supervisor;
    db: pg.Pool;
    redis: RedisServerHandle | SentinelGroup;
    database: RunDatabase;
    dir: string;
    log: WriteStream;
    adminToken: string;
    accounts: DevAccounts;
    catalogue: ServiceSpec[];
    processes: ProcessSpec[];
    control: ControlServer;
  }) {
    this.options = init.options;
    this.supervisor = init.supervisor;
    this.db = init.db;
    this.redisServer = init.redis;
    this.database = init.database;
    this.#dir = init.dir;
    this.#log = init.log;
    this.#adminToken = init.adminToken;
    this.#accounts = init.accounts;
    this.#catalogue = init.catalogue;
    this.processes = init.processes;
    this.#control = init.control;
    this.#simNowMs = init.options.startMs;
  }

  /** Starts Redis, a database, the paper exchange (stepped clock) and every service. */
  static async start(options: RunOptions): Promise<PlatformRun> {
    const dir = await mkdtemp(join(tmpdir(), 'recio-e2e-'));
    // ... and to Redis as its own ACL user with the charts' rules: a key refused to one shows in aclDenials().
    const redisUsers = await ensureRedisUserPasswords(join(dir, 'redis-users'));
    const runRedis = options.redis ?? { mode: 'standalone' };
    const redis =
      runRedis.mode === 'sentinel'
        ? await startSentinelGroup({ redis: { appendonly: false, save: [] } })
        : await startRedisServer({
            config: runRedis.persistence
              ? { appendonly: true, appendfsync: 'everysec', save: [] }
              : { appendonly: false, save: [] },
          });
    // The run's Redis and nothing else: the processes inherit this process's environment, where
    // `make` exports REDIS_URL, so the other ways to name a Redis are set empty (empty is unset to
    // every service's configuration, and two set at once would be refused).
    const unset = { REDIS_URL: '', REDIS_SENTINELS: '', REDIS_SENTINEL_NAME: '', REDIS_CLUSTER_NODES: '' };
    const redisEnv: Record<string, string> =
      'sentinels' in redis
        ? {
            ...unset,
            REDIS_SENTINELS: redis.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
            REDIS_SENTINEL_NAME: redis.masterName,
          }
        : { ...unset, REDIS_URL: redis.url };
    if ('sentinels' in redis) {
      // ACL users are not replicated: each node gets them, as each pod reads the charts' ACL file.
      for (const node of redis.nodes) {
        const client = new Redis(node.url);
        try {
          await applyRedisUsers({ redis: client, passwords: redisUsers.passwords });
          await client.call('CONFIG', 'REWRITE');
        } finally {
          client.disconnect();
        }
      }
    }
    const database = await options.database();
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const accounts = await ensureDevAccounts({
      dir,
      users: options.users.map((u) => u.id),
      balanceCents: options.balanceCents,
      webAdmins: ['ops'],
    });
    const adminToken = randomBytes(16).toString('hex');
    // Every process serves on PORT, which platformProcesses sets from the (shifted) catalogue.
    const catalogue = SERVICES.map((s) => ({ ...s, port: s.port + options.portOffset }));
    const port = (name: string) => catalogue.find((s) => s.name === name)!.port;
    const commonEnv: Record<string, string> = {
      ...redisEnv,
      DATABASE_URL: database.url,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      ...paperExchangeEnv('127.0.0.1', port('paper-exchange')),
      EXCHANGE_CREDENTIALS_FILE: accounts.exchangeCredentialsFile,
      API_TOKENS_FILE: accounts.apiTokenDigestsFile,
      PAPER_ACCOUNTS_FILE: accounts.paperAccountsFile,
      PAPER_ADMIN_TOKEN: adminToken,
      PAPER_CLOCK: options.clock?.mode ?? 'stepped',
      PAPER_SPEED: String(options.clock?.mode === 'realtime' ? options.clock.speed : 1),
      PAPER_SEED: options.seed,
      PAPER_START: new Date(options.startMs).toISOString(),
      PAPER_TICK_SECONDS: String(options.tickSeconds),
      PAPER_SHOCKS: JSON.stringify(options.shocks),
      TRADE_MANAGER_URL: serviceUrl('trade-manager', '127.0.0.1', port('trade-manager')),
      // The clock is the world's: a tick is never too old to act on, and a second is stored
      // as soon as it is seen (the paper feed sends one tick per simulated second at most).
      ...(options.clock?.mode === 'realtime' ? {} : { STALE_TICK_MS: '0', FLUSH_QUIET_MS: '0' }),
      DRAIN_DEADLINE_MS: '5000',
      // The paper exchange answers in milliseconds: a reply 2 s late is a timeout (the faults day's).
      EXCHANGE_TIMEOUT_MS: '2000',
    };
    const services = catalogue
      .filter((s) => s.name !== HEALTH_CONTROLLER || options.healthController)
      .map((s) => s.name);
    const controlUrl = `http://127.0.0.1:${CONTROL_PORT + options.portOffset}`;
    // Every service connects as its own PostgreSQL role, as deployed: the day proves the grants suffice.
    const databaseRoles = await ensureDatabaseRolePasswords(join(dir, 'database-roles'));
    const processes = platformProcesses({
      root: ROOT,
      services,
      commonEnv,
      catalogue,
      databaseRoles,
      redisUsers,
      redisUsersApplied: 'sentinels' in redis,
      webUsersFile: accounts.webUsersFile,
      serviceEnv: { [HEALTH_CONTROLLER]: { ...options.healthController, STACK_CONTROL_URL: controlUrl } },
    });
    const supervisor = new Supervisor({
      processes,
      log: (line) => log.write(`${line}\n`),
      color: false,
      restartBackoffMs: 200,
      stopDeadlineMs: 8_000,
    });
    const control = new ControlServer({ supervisor, port: CONTROL_PORT + options.portOffset });
    const db = new pg.Pool({ connectionString: database.url, max: 2 });
    // A connection the server dropped (the fault table restarts PostgreSQL) is replaced on the next query.
    db.on('error', () => undefined);
    const run = new PlatformRun({
      options,
      supervisor,
      db,
      redis,
      database,
      dir,
      log,
      adminToken,
      accounts,
      catalogue,
      processes,
      control,
    });
    try {
      await control.start();
      await supervisor.start();
      // The users the redis-users step gave a standalone Redis go into its redis.conf, as the charts
      // ship them in a file: a Redis restarted empty (the fault table) comes back with them.
      if (!('sentinels' in redis)) await run.#onRedis((r) => r.call('CONFIG', 'REWRITE'));
      for (const user of options.users) await run.patchSettings(user.id, user.settings);
      await run.settle();
    } catch (err) {
      await run.close();
      throw err;
    }
    return run;
  }

  /** The URL of the run's Redis master (which a Sentinel failover changes). */
  async redisUrl(): Promise<string> {
    if (!('sentinels' in this.redisServer)) return this.redisServer.url;
    const master = await this.redisServer.currentMaster();
    return `redis://${master.host}:${master.port}`;
  }

  /** Runs `f` on a connection to the run's Redis master (as its default user). */
  async #onRedis<T>(f: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(await this.redisUrl());
    try {
      return await f(redis);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * What the run's Redis refused a service user (ACL LOG: a key, a channel or a command outside the
   * user's rules), one line each: `<user> <reason> <object> (<context>)`. Empty when every key each
   * service wrote was one its user may write.
   */
  async aclDenials(): Promise<string[]> {
    const entries = (await this.#onRedis((redis) => redis.call('ACL', 'LOG'))) as (string | number)[][];
    return entries.map((entry) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < entry.length; i += 2) f[String(entry[i])] = String(entry[i + 1]);
      return `${f.username} ${f.reason} ${f.object} (${f.context}, ${f.count}×)`;
    });
  }

  /** Simulated now. */
  get simNowMs(): number {
    return this.#simNowMs;
  }

  /** A service's port in this run. */
  port(service: string): number {
    return this.#catalogue.find((s) => s.name === service)!.port;
  }

  /** The base URL of a service in this run. */
  url(service: string): string {
    return serviceUrl(service, '127.0.0.1', this.port(service));
  }

  /** A user's API token. */
  token(user: string): string {
    return this.#accounts.tokens.find((t) => t.user_id === user)!.token;
  }

  /** A user's password for the browser's sign-in. */
  password(user: string): string {
    return this.#accounts.webUsers.find((u) => u.user_id === user)!.password;
  }

  async patchSettings(user: string, settings: unknown): Promise<void> {
    const res = await fetch(`${this.url('main-app')}/api/v1/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${this.token(user)}`, 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
    if (res.status !== 200) throw new Error(`PATCH settings of ${user}: ${res.status} ${await res.text()}`);
  }

  /** The paper exchange's admin API. */
  async admin<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url('paper-exchange')}/sim${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`/sim${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Moves the world one tick without waiting for the platform (settle() waits). */
  async advance(): Promise<void> {
    await this.admin('POST', '/advance', { seconds: this.options.tickSeconds });
    this.#simNowMs += this.options.tickSeconds * 1000;
  }

  /** Moves the world one tick and waits until the platform has done everything it causes. */
  async step(): Promise<void> {
    const t0 = performance.now();
    await this.advance();
    const t1 = performance.now();
    await this.settle();
    this.timing.advance += t1 - t0;
    this.timing.settle += performance.now() - t1;
    this.timing.steps += 1;
  }

  /** Wall time spent moving the world and waiting for the platform (for the log). */
  readonly timing = { steps: 0, advance: 0, settle: 0 };

  /** Waits until nothing is pending (see quiescence.ts); fails with what is stuck after `timeoutMs`. */
  async settle(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let pending: string[] = [];
    let pause = 2;
    while (Date.now() < deadline) {
      const state = await this.admin<{ accounts: { key_id: string; fills: number; settlements: number }[] }>(
        'GET',
        '/state',
      );
      const exchange = new Map(state.accounts.map((a) => [a.key_id.replace(/^paper-/, ''), a]));
      try {
        pending = await unsettled(this.db, await this.#settleRedis(), this.#simNowMs, exchange);
      } catch (err) {
        this.#settleClient?.disconnect();
        this.#settleClient = undefined;
        pending = [`query failed: ${(err as Error).message}`];
      }
      if (pending.length === 0) return;
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(50, pause * 2);
    }
    throw new Error(`platform did not settle at ${new Date(this.#simNowMs).toISOString()}: ${pending.join('; ')}`);
  }

  #settleClient: Redis | undefined;

  /** settle()'s connection to the Redis master, made again after a failure (a failover moves it). */
  async #settleRedis(): Promise<Redis> {
    if (!this.#settleClient) {
      const client = new Redis(await this.redisUrl(), { maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      this.#settleClient = client;
    }
    return this.#settleClient;
  }

  #closing: Promise<void> | undefined;

  /** Stops every process and removes what the run created. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#settleClient?.disconnect();
    await this.#control.close();
    await this.supervisor.stop().catch(() => undefined);
    await this.db.end().catch(() => undefined);
    await this.database.drop().catch(() => undefined);
    await this.redisServer.close().catch(() => undefined);
    await rm(this.#dir, { recursive: true, force: true });
    await new Promise<void>((r) => this.#log.end(r));
  }
}
