import type { RedisConnection } from '../redis/connection.js';

/** Which consumer a bench child process runs. */
export type E2eMode = 'raw' | 'recio';

/** What the bench tells its consumer process (its one argument, as JSON). */
export interface E2eConsumerConfig {
  mode: E2eMode;
  databaseUrl: string;
  redis: RedisConnection;
  /** Channels `trades:<prefix>E_<i>`, i < channels (raw: streams `raw:{<channel>}`, group `raw`). */
  prefix: string;
  channels: number;
}

/** The channel the end-to-end figures use for event `i`. */
export function e2eChannel(prefix: string, i: number, channels: number): string {
  return `trades:${prefix}E_${i % channels}`;
}

/** The raw floor's stream for a channel (its own keys, not the router's `stream:{…}`). */
export function rawStreamKey(channel: string): string {
  return `raw:{${channel}}`;
}

/** Parent → child. */
export type E2eRequest =
  | { id: number; cmd: 'count' }
  | { id: number; cmd: 'usage' }
  | { id: number; cmd: 'collect' }
  | { id: number; cmd: 'clock' }
  | { id: number; cmd: 'stop' };

/** Child → parent: `ready` once consuming, else the answer to request `id`. */
export type E2eReply =
  | { ready: true }
  | {
      id: number;
      /** Events handled (their effect committed) since the process started. */
      handled: number;
      /** The child's clock (performance.timeOrigin + performance.now()) when it answered. */
      now: number;
      /** CPU time the child has used (user + system, ms): its cost per event, whatever the machine's load. */
      cpuMs: number;
      /** `usage` only: round trips sent so far, PostgreSQL statements and Redis commands (pub/sub messages received not counted). */
      pgRoundTrips?: number;
      redisCommands?: number;
      /** `collect` only: the events handled since the last collect, and when each handler started. */
      ks?: number[];
      startedAt?: number[];
    };
