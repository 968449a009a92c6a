import { eventTicker, hourCloseAfter } from '@recio/domain';
import { ExchangeClient } from '@recio/exchange-client';
import type { ServiceContext } from '@recio/service-kit';
import { Histogram } from 'prom-client';
import type { ApiWatchdogConfig } from './config.js';
import { probeExchange } from './exchange-probe.js';
import { HealthReporter } from './health-reporter.js';
import { judgeProbe } from './health-state.js';
import { ProbeLoop } from './probe-loop.js';

/** Options a test may change; the service runs with the defaults. */
export interface ApiWatchdogOptions {
  /** Clock that picks the current hour's event. @defaultValue Date.now */
  now?: () => number;
}

/**
 * kalshi-api-watchdog: probes the exchange on a timer (it talks to the outside world) and
 * publishes `health.changed` on `system:health` only when a component changes state:
 * `exchange` (up / degraded / down, with latency) and `trading` (up / paused). Ready once the
 * first probe has been judged.
 */
export async function startApiWatchdog(
  ctx: ServiceContext<ApiWatchdogConfig>,
  options: ApiWatchdogOptions = {},
): Promise<{ ready: () => boolean }> {
  const { config, logger, router, registry } = ctx;
  const now = options.now ?? Date.now;
  // One attempt per request: the client's own retries would hide what the probe looks for.
  const client = new ExchangeClient({
    baseUrl: config.EXCHANGE_BASE_URL,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    maxRetries: 0,
  });
  const reporter = new HealthReporter(router, logger, registry);
  const latency = new Histogram({
    name: 'recio_exchange_probe_latency_seconds',
    help: 'Latency of the exchange probes, answered or failed, by probe',
    labelNames: ['probe'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  let judged = false;

  const loop = new ProbeLoop({
    intervalMs: config.PROBE_INTERVAL_MS,
    logger,
    run: async (signal) => {
      const probe = await probeExchange(client, eventTicker(hourCloseAfter(now())), signal);
      latency.observe({ probe: 'status' }, probe.status.latencyMs / 1000);
      latency.observe({ probe: 'markets' }, probe.markets.latencyMs / 1000);
      const verdict = judgeProbe(probe, config.DEGRADED_LATENCY_MS);
      const at = Date.now();
      // One after the other: the events keep the order of the observations.
      await reporter.observe('exchange', verdict.exchange, at);
      if (verdict.trading) await reporter.observe('trading', verdict.trading, at);
      judged = true;
    },
  });
  loop.start();
  ctx.onClose(() => loop.close());
  logger.info(
    {
      baseUrl: config.EXCHANGE_BASE_URL,
      intervalMs: config.PROBE_INTERVAL_MS,
      degradedLatencyMs: config.DEGRADED_LATENCY_MS,
    },
    'exchange probes started',
  );
  return { ready: () => judged };
}
