/**
 * The one list of the platform's services (ARCHITECTURE "Services"): what each listens on, what it
 * reads from the environment, and which consumer groups it runs on which channels. The Kubernetes
 * charts (cdk8s/) derive Deployments, Services, NetworkPolicies, ACL users and EventConsumers from it.
 */
import {
  LIVE_TRADES_KEY,
  RATE_LIMIT_KEY,
  STATE_VERSION_KEY,
  TRADER_VIEW_KEY,
  PRICE_CACHE_KEY,
  PRICE_SERIES_KEY,
  RELAY_MARKER_KEY,
  type ChannelClass,
  type KeyFamily,
} from '@recio/contract';
import type { TableGrants } from './database-access.js';

/** Environment shared by every service that talks to Redis and PostgreSQL. */
export const COMMON_ENV = [
  'DATABASE_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'LOG_LEVEL',
  'POD_NAME',
  // The catalogue's port: what the container port, the probes and the process agree on.
  'PORT',
] as const;

/** A Redis Streams consumer group run by a service. */
export interface ConsumerGroupSpec {
  /** Group name (also the EventConsumer's name and the dead-letter key). */
  readonly name: string;
  /** Channels or channel patterns (`class:*`) the group reads. */
  readonly channels: readonly string[];
  /** Lag, in seconds, above which the health controller reports the group. */
  readonly maxLagSeconds: number;
  /** Pending entries above which the health controller reports the group. */
  readonly maxPending: number;
}

/** Who may open connections to a service (NetworkPolicy ingress). */
export type IngressFrom = 'ingress-controller' | 'services' | 'none';

/** One deployable service. */
export interface ServiceSpec {
  /** Kubernetes name, image name and Redis ACL user. */
  readonly name: string;
  /** HTTP port: API and `/healthz`, `/readyz`, `/metrics` (the relay: metrics only). */
  readonly port: number;
  /** One line: what the service does. */
  readonly role: string;
  /** Command run in the image (the image's entry point takes the service name). */
  readonly command: readonly string[];
  /** Environment variable names it reads (values come from ConfigMaps and Secrets). */
  readonly env: readonly string[];
  /** Consumer groups it runs. */
  readonly consumerGroups: readonly ConsumerGroupSpec[];
  /** Channel classes it publishes to (its ACL and docs). */
  readonly publishes: readonly ChannelClass[];
  /** Who may call it. */
  readonly ingressFrom: IngressFrom;
  /** Whether it calls the exchange or the price feed outside the cluster. */
  readonly egressInternet: boolean;
  /** Replicas in the cloud profile (kind runs one of each). */
  readonly cloudReplicas: number;
  /**
   * The service's own tables and what its PostgreSQL role may do to each; the router's tables
   * (publishing, consuming) are added from `publishes` and `consumerGroups` (database-access.ts).
   */
  readonly tables: TableGrants;
  /**
   * Redis keys the service writes besides the router's (streams, dead letters: redis-access.ts),
   * each a family built by one function of @recio/contract; its ACL user gets exactly these.
   */
  readonly redisKeys: readonly KeyFamily[];
  /**
   * What it does on every channel besides publishing its own classes and consuming its groups'
   * channels: `read` (the WebSocket fan-out and replay), `manage-groups` (inspects and heals every
   * consumer group), `append` (the relay re-appends whatever PostgreSQL committed). Redis grants
   * follow (redis-access.ts); nothing else is granted on a class it does not publish or consume.
   */
  readonly everyChannel?: 'read' | 'manage-groups' | 'append';
}

const group = (name: string, channels: string[], maxLagSeconds = 5, maxPending = 1000): ConsumerGroupSpec => ({
  name,
  channels,
  maxLagSeconds,
  maxPending,
});

const node = (name: string): string[] => ['node', `services/${name}/dist/main.js`];

/** Every service of the platform, in the ARCHITECTURE table's order, then the relay. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'main-app',
    port: 3000,
    role: 'trader web UI, REST API gateway, WebSocket gateway, /replay',
    command: node('main-app'),
    env: [...COMMON_ENV, 'API_TOKENS_FILE', 'TRADE_MANAGER_URL'],
    consumerGroups: [],
    // trades are opened and closed through the trade manager's API
    publishes: ['settings'],
    ingressFrom: 'ingress-controller',
    egressInternet: false,
    cloudReplicas: 2,
    // per-user request budgets, shared by the replicas; the snapshot a trader's page starts from
    redisKeys: [RATE_LIMIT_KEY, TRADER_VIEW_KEY],
    everyChannel: 'read',
    tables: {
      user_settings: ['SELECT', 'INSERT', 'UPDATE'],
      trade: ['SELECT'],
      account_balance: ['SELECT'],
      account_position: ['SELECT'],
      account_fill: ['SELECT'],
      account_settlement: ['SELECT'],
      // browser sign-in: users are managed by `recio users` (the owner), sessions by main-app
      web_user: ['SELECT'],
      web_session: ['SELECT', 'INSERT', 'DELETE'],
    },
  },
  {
    name: 'trade-manager',
    port: 4000,
    role: 'owns trades and their state machine; creates, closes, expires, settles',
    command: node('trade-manager'),
    env: [...COMMON_ENV],
    consumerGroups: [group('trade-manager', ['trades:*', 'prices:btc', 'account:*'])],
    publishes: ['trades', 'system'],
    ingressFrom: 'services',
    egressInternet: false,
    cloudReplicas: 2,
    redisKeys: [STATE_VERSION_KEY],
    tables: { trade: ['SELECT', 'INSERT', 'UPDATE'], trade_settlement: ['SELECT', 'INSERT'], price_tick: ['SELECT'] },
  },
  {
    name: 'trade-executor',
    port: 8001,
    role: 'places orders on the exchange, idempotently (client_order_id = trade id)',
    command: node('trade-executor'),
    env: [...COMMON_ENV, 'EXCHANGE_BASE_URL', 'EXCHANGE_CREDENTIALS_FILE'],
    consumerGroups: [group('trade-executor', ['trades:*'])],
    // fills and rejections are trade events: trades:<user> (the router knows no `orders` class)
    publishes: ['trades'],
    ingressFrom: 'services',
    egressInternet: true,
    cloudReplicas: 2,
    redisKeys: [],
    tables: { trade: ['SELECT'] },
  },
  {
    name: 'btc-price-watchdog',
    port: 8002,
    role: 'price feed to prices:btc, price history, momentum, cache, time series',
    command: node('btc-price-watchdog'),
    env: [...COMMON_ENV, 'PRICE_SOURCE', 'PRICE_FEED_URL'],
    consumerGroups: [],
    // ticks, and the feed's state (up, down) on system:health
    publishes: ['prices', 'system'],
    ingressFrom: 'services',
    egressInternet: true,
    cloudReplicas: 1,
    redisKeys: [PRICE_CACHE_KEY, PRICE_SERIES_KEY],
    tables: { price_tick: ['SELECT', 'INSERT', 'DELETE'] },
  },
  {
    name: 'kalshi-account-sync',
    port: 8004,
    role: 'balance, positions, fills, settlements mirrored from the exchange',
    command: node('kalshi-account-sync'),
    env: [...COMMON_ENV, 'EXCHANGE_BASE_URL', 'EXCHANGE_WS_URL', 'EXCHANGE_CREDENTIALS_FILE', 'RESYNC_INTERVAL_MS'],
    consumerGroups: [],
    publishes: ['positions', 'account'],
    ingressFrom: 'services',
    egressInternet: true,
    cloudReplicas: 1,
    redisKeys: [],
    tables: {
      account_balance: ['SELECT', 'INSERT', 'UPDATE'],
      account_position: ['SELECT', 'INSERT', 'UPDATE'],
      account_fill: ['SELECT', 'INSERT'],
      account_order: ['SELECT', 'INSERT', 'UPDATE'],
      account_settlement: ['SELECT', 'INSERT'],
    },
  },
  {
    name: 'kalshi-api-watchdog',
    port: 8005,
    role: 'exchange health to system:health',
    command: node('kalshi-api-watchdog'),
    env: [...COMMON_ENV, 'EXCHANGE_BASE_URL', 'PROBE_INTERVAL_MS', 'DEGRADED_LATENCY_MS'],
    consumerGroups: [],
    publishes: ['system'],
    ingressFrom: 'services',
    egressInternet: true,
    cloudReplicas: 1,
    redisKeys: [],
    tables: {},
  },
  {
    name: 'active-trade-supervisor',
    port: 8007,
    role: 'watches open trades on every price event; auto stop',
    command: node('active-trade-supervisor'),
    env: [...COMMON_ENV, 'EXCHANGE_BASE_URL'],
    consumerGroups: [group('active-trade-supervisor', ['prices:btc', 'trades:*', 'settings:*'], 2)],
    publishes: ['trades'],
    ingressFrom: 'services',
    egressInternet: false,
    cloudReplicas: 2,
    redisKeys: [LIVE_TRADES_KEY, STATE_VERSION_KEY],
    tables: {
      supervised_trade: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
      settings_copy: ['SELECT', 'INSERT', 'UPDATE'],
    },
  },
  {
    name: 'auto-entry-supervisor',
    port: 8009,
    role: 'strike table, watchlist, auto entry on every price event',
    command: node('auto-entry-supervisor'),
    env: [...COMMON_ENV, 'EXCHANGE_BASE_URL'],
    consumerGroups: [group('auto-entry-supervisor', ['prices:btc', 'settings:*', 'trades:*'], 2)],
    publishes: ['trades', 'markets'],
    ingressFrom: 'services',
    egressInternet: false,
    cloudReplicas: 2,
    redisKeys: [STATE_VERSION_KEY],
    tables: {
      auto_entry_state: ['SELECT', 'INSERT', 'UPDATE'],
      auto_entry_live_trade: ['SELECT', 'INSERT', 'DELETE'],
      settings_copy: ['SELECT', 'INSERT', 'UPDATE'],
    },
  },
  {
    name: 'health-controller',
    port: 8010,
    role: 'lag / PEL / stall detection, healing, metrics',
    command: node('health-controller'),
    env: [...COMMON_ENV, 'POD_NAMESPACE'],
    consumerGroups: [],
    publishes: ['system'],
    ingressFrom: 'services',
    egressInternet: false,
    cloudReplicas: 2,
    redisKeys: [],
    everyChannel: 'manage-groups',
    // each group's offsets against the channel heads (the heads and event times: its publisher's grants)
    tables: { consumer_offset: ['SELECT'] },
  },
  {
    name: 'paper-exchange',
    port: 8090,
    role: "the exchange's trade API v2 simulated locally (demo mode, development, tests)",
    command: node('paper-exchange'),
    env: ['LOG_LEVEL', 'POD_NAME', 'PORT', 'PAPER_ACCOUNTS_FILE'],
    consumerGroups: [],
    publishes: [],
    ingressFrom: 'services',
    egressInternet: false,
    cloudReplicas: 1,
    redisKeys: [],
    tables: {},
  },
  {
    name: 'relay',
    port: 9464,
    role: 'recio relay: converges Redis to PostgreSQL after crashes (one leader); metrics on its port',
    // Its metrics and /readyz on PORT (the catalogue's port, as every service).
    command: ['node', 'router/dist/cli/main.js', 'relay'],
    env: [...COMMON_ENV],
    consumerGroups: [],
    // announces the streams it repairs (entries above the committed head) on system:health
    publishes: ['system'],
    ingressFrom: 'none',
    egressInternet: false,
    cloudReplicas: 2,
    redisKeys: [RELAY_MARKER_KEY],
    everyChannel: 'append',
    // compares heads with streams, reads events to copy, deletes those past retention
    tables: { event_log: ['SELECT', 'DELETE'], channel_head: ['SELECT'] },
  },
];

/** Every consumer group with the service that runs it. */
export function consumerGroups(
  services: readonly ServiceSpec[] = SERVICES,
): { service: ServiceSpec; group: ConsumerGroupSpec }[] {
  return services.flatMap((service) => service.consumerGroups.map((g) => ({ service, group: g })));
}

/** The catalogue's entry of a service, if it has one. */
export function findService(name: string): ServiceSpec | undefined {
  return SERVICES.find((s) => s.name === name);
}

/** The one consumer group a service runs, as the list declares it (services read it from here). */
export function consumerGroupOf(serviceName: string): ConsumerGroupSpec {
  const service = findService(serviceName);
  const group = service?.consumerGroups[0];
  if (!group || service.consumerGroups.length !== 1)
    throw new Error(`service ${serviceName} does not run exactly one consumer group`);
  return group;
}
