/**
 * Least privilege in PostgreSQL (ARCHITECTURE "Security"): one role per service, holding only the
 * table privileges the service's statements need. A service's own tables are declared in the
 * catalogue (`ServiceSpec.tables`); what the router does for it is derived here, so a service that
 * starts consuming gets its offsets and dead letters without anyone remembering to grant them.
 * Applied by service-kit's `database-roles` step after every migration; the charts and `make dev`
 * give each service a DATABASE_URL naming its role.
 */
import { CHANNEL_CLASSES, HEALTH_CHANNEL, channelClass, deliveryOf, type ChannelClass } from '@recio/contract';
import type { ServiceSpec } from './services.js';

/** Table privileges a role can be granted (no TRUNCATE, REFERENCES or TRIGGER: no service needs them). */
export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

/** Table name → the privileges held on it. */
export type TableGrants = Readonly<Record<string, readonly TablePrivilege[]>>;

/**
 * The router's statements on behalf of a publisher: a commit bumps `channel_head` (an upsert) and
 * inserts into `event_log` (RETURNING its seq); replays read `event_log` back.
 */
export const PUBLISHER_TABLES: TableGrants = {
  channel_head: ['SELECT', 'INSERT', 'UPDATE'],
  event_log: ['SELECT', 'INSERT'],
};

/**
 * The router's statements on behalf of a consumer group: offsets locked and advanced, dead letters
 * recorded and re-driven, missed events read back from `event_log`, heads compared with offsets.
 * A consumer also publishes (a dead letter is announced on `system:health`).
 */
export const CONSUMER_TABLES: TableGrants = {
  ...PUBLISHER_TABLES,
  consumer_offset: ['SELECT', 'INSERT', 'UPDATE'],
  dead_letter: ['SELECT', 'INSERT', 'UPDATE'],
};

/**
 * The channel classes a service may publish on: those the catalogue says, and `system` for a
 * service that runs a consumer group (it announces its dead letters on `system:health`). Its
 * PostgreSQL role may insert events of these classes only (row-level security on `event_log` and
 * `channel_head`, applied by service-kit's database-roles step), its Redis user append only to
 * their streams (redis-access.ts). Sorted.
 */
export function publishedClasses(service: ServiceSpec): ChannelClass[] {
  const classes = new Set<ChannelClass>(service.publishes);
  if (service.consumerGroups.length > 0) classes.add(channelClass(HEALTH_CHANNEL) as ChannelClass);
  return [...classes].sort();
}

/**
 * The classes whose events a service commits to PostgreSQL: those it publishes, less the
 * latest-value ones (ARCHITECTURE invariant 14: prices and markets go to Redis only). Its role's
 * row-level security on `event_log` and `channel_head` allows these and nothing else. Sorted.
 */
export function committedClasses(service: ServiceSpec): ChannelClass[] {
  return publishedClasses(service).filter((c) => deliveryOf(CHANNEL_CLASSES[c]) === 'exactly-once');
}

/** The PostgreSQL role of a service: `recio_` and its name with underscores (`recio_trade_manager`). */
export function databaseRoleName(serviceName: string): string {
  return `recio_${serviceName.replaceAll('-', '_')}`;
}

/** Services that connect to PostgreSQL (they read DATABASE_URL), each of which gets a role. */
export function databaseServices(services: readonly ServiceSpec[]): ServiceSpec[] {
  return services.filter((s) => s.env.includes('DATABASE_URL'));
}

/** Everything a service's role holds: the router's tables for what it does, and its own. Sorted. */
export function databaseGrants(service: ServiceSpec): TableGrants {
  const merged = new Map<string, Set<TablePrivilege>>();
  const add = (grants: TableGrants): void => {
    for (const [table, privileges] of Object.entries(grants)) {
      const set = merged.get(table) ?? new Set<TablePrivilege>();
      for (const p of privileges) set.add(p);
      merged.set(table, set);
    }
  };
  if (service.consumerGroups.length > 0) add(CONSUMER_TABLES);
  else if (publishedClasses(service).length > 0) add(PUBLISHER_TABLES);
  add(service.tables);
  return Object.fromEntries(
    [...merged.keys()].sort().map((table) => [table, TABLE_PRIVILEGES.filter((p) => merged.get(table)!.has(p))]),
  );
}

/** `url` with the service's role and password as its user: what the service connects with. */
export function serviceDatabaseUrl(url: string, serviceName: string, password: string): string {
  const u = new URL(url);
  u.username = databaseRoleName(serviceName);
  u.password = encodeURIComponent(password);
  return u.toString();
}
