import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startPaperExchange } from './server.js';

// Drain deadline: well under the pod's default 30 s termination grace period.
const DRAIN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`paper-exchange: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'paper-exchange', pod: process.env.POD_NAME } });
  const exchange = await startPaperExchange({
    port: config.port,
    host: '0.0.0.0',
    seed: config.seed,
    clock: config.clock,
    ...(config.startMs !== undefined ? { startMs: config.startMs } : {}),
    speed: config.speed,
    tickSeconds: config.tickSeconds,
    startPrice: config.startPrice,
    shocks: config.shocks,
    accounts: config.accounts,
    ...(config.adminToken !== undefined ? { adminToken: config.adminToken } : {}),
    logger,
  });
  logger.info(
    {
      port: exchange.port,
      clock: config.clock,
      seed: config.seed,
      accounts: config.accounts.length,
      admin: config.adminToken !== undefined,
    },
    'paper exchange listening',
  );

  let draining = false;
  const drain = (signal: string) => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, 'draining');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: DRAIN_DEADLINE_MS }, 'drain deadline passed; exiting');
      process.exit(1);
    }, DRAIN_DEADLINE_MS);
    deadline.unref();
    exchange.close().then(
      () => {
        logger.info('drained');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('SIGINT', () => drain('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`paper-exchange: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
