import { ConfigError } from '@recio/router';
import { loadServiceConfig, SHARED_VARIABLES } from '@recio/service-kit';
import { z } from 'zod';

/** The API watchdog's configuration (environment at the edge). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
    'kalshi-api-watchdog',
    {
      EXCHANGE_BASE_URL: SHARED_VARIABLES.EXCHANGE_BASE_URL,
      /** Time from the start of one probe to the start of the next (a slow probe delays the next one, never overlaps it). */
      PROBE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
      /** A probe slower than this makes the exchange `degraded`. */
      DEGRADED_LATENCY_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
      /** No answer within this makes the exchange `down` (unreachable); one attempt, no retries. */
      PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    },
    env,
  );
  if (config.PROBE_TIMEOUT_MS <= config.DEGRADED_LATENCY_MS) {
    throw new ConfigError(
      `PROBE_TIMEOUT_MS: must be greater than DEGRADED_LATENCY_MS (${config.DEGRADED_LATENCY_MS}), got ${config.PROBE_TIMEOUT_MS}`,
    );
  }
  return config;
}

/** See {@link loadConfig}. */
export type ApiWatchdogConfig = ReturnType<typeof loadConfig>;
