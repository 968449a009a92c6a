import { once } from 'node:events';
import { Relay, RELAY_DEFAULTS } from '../../relay.js';
import { integer, parse } from '../args.js';
import { cliLogger, cliRouter, type CliContext } from '../context.js';
import { startMetricsServer } from '../metrics-server.js';

/**
 * `recio relay [--metrics-port P] [--sweep-ms N] [--full-sweep-ms N]`: runs the relay until
 * SIGINT/SIGTERM. Several may run; one leads at a time. Metrics (and /readyz) are served on
 * `--metrics-port`, else on PORT (the catalogue's port, as every service), else not at all.
 */
export async function relay(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, {
    'metrics-port': { type: 'string' },
    'sweep-ms': { type: 'string' },
    'full-sweep-ms': { type: 'string' },
  });
  const metricsPort = integer(values, 'metrics-port', ctx.config.port ?? 0);
  const logger = cliLogger(ctx.config);
  const router = cliRouter(ctx.config, logger);
  const relay = new Relay(router, {
    databaseUrl: ctx.config.databaseUrl,
    sweepIntervalMs: integer(values, 'sweep-ms', RELAY_DEFAULTS.sweepIntervalMs, 1),
    fullSweepIntervalMs: integer(values, 'full-sweep-ms', RELAY_DEFAULTS.fullSweepIntervalMs, 1),
  });
  const server =
    metricsPort > 0
      ? await startMetricsServer(metricsPort, router.registry, () => router.redis.status === 'ready')
      : undefined;
  relay.start();
  logger.info({ metricsPort: metricsPort || undefined }, 'relay started');
  if (!ctx.stopSignal.aborted) await once(ctx.stopSignal, 'abort');
  logger.info('relay stopping');
  await relay.close();
  await router.close();
  if (server) await new Promise((resolve) => server.close(resolve));
  return 0;
}
