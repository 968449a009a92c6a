import { serviceUrl } from '@recio/platform';
import { loadServiceConfig } from '@recio/service-kit';
import { z } from 'zod';
import { loadApiTokens } from './api-tokens.js';

/**
 * main-app's configuration (environment at the edge). The API tokens file is read here too, so
 * a missing or malformed file stops the start with a message naming it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadServiceConfig(
    'main-app',
    {
      /** The trade manager's REST API (orders are forwarded there). */
      TRADE_MANAGER_URL: z.url().default(serviceUrl('trade-manager')),
      /** How long a forwarded order may take before the answer is 503. */
      TRADE_MANAGER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
      /** JSON `[{ "user_id": "user_0001", "token_sha256": "<64 hex>", "admin"?: true }]`; re-read when it changes. */
      API_TOKENS_FILE: z.string().min(1),
      /** How often the tokens file is checked for a change (a revoked token stops working within it). */
      API_TOKENS_RELOAD_MS: z.coerce.number().int().min(100).max(300_000).default(2_000),
      /** Order requests (open and close) a user may make per second, on average. */
      ORDER_RATE_PER_SECOND: z.coerce.number().positive().max(1_000).default(2),
      /** Order requests a user may make at once: the budget of a window of ORDER_BURST / ORDER_RATE_PER_SECOND seconds. */
      ORDER_BURST: z.coerce.number().int().min(1).max(1_000).default(5),
      /** Settings changes a user may make per minute. */
      SETTINGS_CHANGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
      /** Reads (trades, account, settings) a user may make per minute. */
      READS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
      /** Replay pages a user may ask for per minute. */
      REPLAYS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
      /** How long a browser session lasts after sign-in. */
      SESSION_TTL_HOURS: z.coerce
        .number()
        .min(0.01)
        .max(24 * 30)
        .default(12),
      /** How long a replica trusts what PostgreSQL said of a session (a sign-out elsewhere, a disabled user, takes effect within it). */
      SESSION_RECHECK_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
      /** Failed sign-ins a user name may have per SIGN_IN_WINDOW_SECONDS before it is refused (429) for the rest of it. */
      SIGN_IN_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
      SIGN_IN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
      /** The session cookie's Secure flag: when the request came over TLS (X-Forwarded-Proto from the Ingress), always, or never. */
      SESSION_COOKIE_SECURE: z.enum(['auto', 'always', 'never']).default('auto'),
      /** How long Redis keeps a trader's page snapshot (a page load within it reads no PostgreSQL; an older view only replays more). */
      TRADER_VIEW_TTL_S: z.coerce.number().int().min(1).max(86_400).default(900),
      /** Frames a gateway socket may have waiting beyond what the kernel took before it is closed with RESYNC. */
      WS_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(1_000),
      /** Unsent bytes a socket may hold before its frames wait in its queue. */
      WS_HIGH_WATER_BYTES: z.coerce
        .number()
        .int()
        .min(1_024)
        .max(64 * 1024 * 1024)
        .default(256 * 1024),
      /** Interval of the gateway's ping frames; a socket silent for two is closed. */
      WS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
      /** Sockets one user may have open on a replica (tabs, scripts); one more is refused with 429 TOO_MANY_SOCKETS. */
      WS_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(32),
    },
    env,
  );
  // Read once here so a missing or bad file stops the start, naming it.
  loadApiTokens(config.API_TOKENS_FILE);
  return config;
}

/** See {@link loadConfig}. */
export type MainAppConfig = ReturnType<typeof loadConfig>;
