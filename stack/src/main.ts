#!/usr/bin/env node
/**
 * `make dev`: runs the platform as local processes under one supervisor (`node stack/dist/main.js`,
 * with REDIS_URL and DATABASE_URL set, e.g. by scripts/with-services.sh). Ctrl-C or SIGTERM stops
 * everything in order and exits 0; a second Ctrl-C kills what is left at once.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES } from '@recio/platform';
import { ControlServer } from './control-server.js';
import {
  ensureDatabaseRolePasswords,
  ensureDevAccounts,
  ensureRedisUserPasswords,
  type DevAccounts,
} from './dev-accounts.js';
import { devEnvironment } from './dev-env.js';
import { StackConfigError } from './errors.js';
import { defaultServices, platformProcesses, RELAY } from './platform-processes.js';
import { stopOnSignals } from './signals.js';
import { loadStackConfig, type StackConfig } from './stack-config.js';
import { Supervisor } from './supervisor.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<number> {
  // When the reader of our output (`make dev | tee`) dies first on Ctrl-C, writes fail with EPIPE;
  // that must not crash the supervisor halfway through stopping its children.
  process.stdout.on('error', () => undefined);
  let config: StackConfig;
  try {
    config = loadStackConfig(process.env, ROOT);
  } catch (err) {
    if (!(err instanceof StackConfigError)) throw err;
    process.stderr.write(`[stack] invalid configuration: ${err.message}\n`);
    return 2;
  }
  const accounts = await ensureDevAccounts({
    dir: config.devDir,
    users: config.users,
    balanceCents: config.balanceCents,
    webAdmins: ['ops'],
  });
  const controlUrl = `http://127.0.0.1:${config.controlPort}`;
  const env = devEnvironment({
    config,
    accounts,
    paperAdminToken: randomBytes(24).toString('hex'),
    controlUrl,
  });
  // Against the real exchange the paper world does not run.
  const services = (config.services ?? defaultServices(ROOT)).filter(
    (s) => config.exchange.kind === 'paper' || s !== 'paper-exchange',
  );
  const databaseRoles =
    config.databaseRoles === 'per-service'
      ? await ensureDatabaseRolePasswords(join(config.devDir, 'database-roles'))
      : undefined;
  const redisUsers =
    config.redisUsers === 'per-service'
      ? await ensureRedisUserPasswords(join(config.devDir, 'redis-users'))
      : undefined;
  const processes = platformProcesses({
    root: ROOT,
    services,
    commonEnv: env.common,
    serviceEnv: env.perService,
    ...(databaseRoles ? { databaseRoles } : {}),
    ...(redisUsers ? { redisUsers } : {}),
    webUsersFile: accounts.webUsersFile,
  });
  const supervisor = new Supervisor({
    processes,
    stopDeadlineMs: config.stopDeadlineMs,
    readyTimeoutMs: config.readyTimeoutMs,
  });
  const control = new ControlServer({ supervisor, port: config.controlPort });

  const { stopped } = stopOnSignals(supervisor, () => control.close());

  const skipped = SERVICES.map((s) => s.name).filter((n) => !services.includes(n));
  supervisor.say(`running ${processes.map((p) => p.name).join(', ')}`);
  if (skipped.length > 0)
    supervisor.say(`not running (not built, or not chosen in STACK_SERVICES): ${skipped.join(', ')}`);
  try {
    await control.start();
    await supervisor.start();
  } catch (err) {
    if (supervisor.stopping) {
      await stopped;
      return 0;
    }
    supervisor.say(`start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await supervisor.stop();
    await control.close();
    return 1;
  }
  printWhereThingsAre(supervisor, services, control.url, accounts, env.common, config);
  await stopped;
  return 0;
}

function printWhereThingsAre(
  supervisor: Supervisor,
  services: readonly string[],
  controlUrl: string,
  accounts: DevAccounts,
  common: Record<string, string>,
  config: StackConfig,
): void {
  const port = (name: string): number | undefined => SERVICES.find((s) => s.name === name)?.port;
  if (services.includes('main-app')) {
    supervisor.say(`trader page: http://127.0.0.1:${port('main-app')}/  (REST API under /api/v1, WebSocket /ws)`);
  }
  if (services.includes('paper-exchange'))
    supervisor.say(`paper exchange: ${common.EXCHANGE_BASE_URL} (price feed ${common.PRICE_FEED_URL})`);
  for (const name of services) {
    supervisor.say(`metrics: ${name} http://127.0.0.1:${port(name)}/metrics`);
  }
  if (!services.includes(RELAY)) supervisor.say('the relay is not running');
  supervisor.say(`control API: ${controlUrl}/processes`);
  supervisor.say(`API tokens: ${accounts.apiTokensFile}`);
  if (services.includes('main-app')) {
    for (const u of accounts.webUsers) {
      supervisor.say(`sign in as ${u.user_id} with password ${u.password}${u.admin ? ' (admin: every trader)' : ''}`);
    }
  }
  supervisor.say(`Redis ${common.REDIS_URL}  PostgreSQL ${common.DATABASE_URL}`);
  supervisor.say(
    config.databaseRoles === 'per-service'
      ? 'each service connects to PostgreSQL as its own role (recio_<service>; STACK_DATABASE_ROLES=owner turns that off)'
      : 'every service connects to PostgreSQL as the owner (STACK_DATABASE_ROLES=owner)',
  );
  supervisor.say(
    config.redisUsers === 'per-service'
      ? "each service connects to Redis as its own ACL user with the charts' rules (STACK_REDIS_USERS=shared turns that off)"
      : "every service connects to Redis as REDIS_URL's user (STACK_REDIS_USERS=shared)",
  );
  supervisor.say('everything is up; Ctrl-C stops it');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[stack] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
