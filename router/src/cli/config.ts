import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@recio/contract';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { RecioError } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';

/** The CLI's settings, read from the environment (the only place the router's code reads it). */
export interface CliConfig {
  databaseUrl: string;
  redis: RedisConnection;
  source: string;
  logLevel: string;
  redisCommandTimeoutMs: number;
  /** PORT: where a serving command (the relay's metrics) listens unless its flag says otherwise. */
  port: number | undefined;
}

const hostPorts = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((hp) => hp.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')
          .transform((hp) => {
            const i = hp.lastIndexOf(':');
            return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
          }),
      )
      .min(1),
  );

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres://')
    .default(DEFAULT_DATABASE_URL),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('recio'),
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  RECIO_SOURCE: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a service name')
    .default('recio-cli'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A port to serve on (the relay's metrics), when the command line does not say. */
  PORT: z.coerce.number().int().min(1).max(65_535).optional(),
});

/** A bad environment variable; the message names it. */
export class ConfigError extends RecioError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** Reads and validates the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  // An empty variable counts as unset (`REDIS_URL=` in a shell or a manifest).
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const auth = {
    ...(e.REDIS_USERNAME ? { username: e.REDIS_USERNAME } : {}),
    ...(e.REDIS_PASSWORD ? { password: e.REDIS_PASSWORD } : {}),
  };
  const chosen = [e.REDIS_URL, e.REDIS_SENTINELS, e.REDIS_CLUSTER_NODES].filter((v) => v !== undefined).length;
  if (chosen > 1) throw new ConfigError('set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES');
  const redis: RedisConnection = e.REDIS_SENTINELS
    ? { sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, ...auth }
    : e.REDIS_CLUSTER_NODES
      ? { cluster: e.REDIS_CLUSTER_NODES, ...auth }
      : { url: e.REDIS_URL ?? DEFAULT_REDIS_URL, ...auth };
  return {
    databaseUrl: withDefaultUser(e.DATABASE_URL, env),
    redis,
    source: e.RECIO_SOURCE,
    logLevel: e.LOG_LEVEL,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    port: e.PORT,
  };
}

// Like libpq: a URL without a user name connects as PGUSER, else the OS user. node-postgres
// alone reads only $USER, which containers and CI often leave unset.
function withDefaultUser(url: string, env: NodeJS.ProcessEnv): string {
  const u = new URL(url);
  if (!u.username) u.username = env.PGUSER || env.USER || userInfo().username;
  return u.toString();
}
