#!/usr/bin/env node
/**
 * The redis-users step of a local platform (`make dev`'s oneshot, the e2e day): on a standalone Redis
 *   REDIS_URL=<a user allowed ACL SETUSER> REDIS_USER_PASSWORDS_DIR=<dir> node service-kit/dist/redis-users-main.js
 * gives every service its ACL user (one file per service in the directory, named after it, holds its
 * password). In Kubernetes the same rules ship as the Redis ACL file instead (cdk8s/src/redis-acl.ts).
 * Prints one line per user; exits 1 with `redis-users: CODE: message` when it cannot apply them, 2 on a
 * bad environment.
 */
import { redisServices, SERVICES } from '@recio/platform';
import { createRedisClient, errorCode } from '@recio/router';
import { readPasswordFiles } from './password-files.js';
import { applyRedisUsers } from './redis-users.js';

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const url = env.REDIS_URL;
  const dir = env.REDIS_USER_PASSWORDS_DIR;
  if (!url || !/^rediss?:\/\//.test(url) || !dir) {
    process.stderr.write(
      'redis-users: CONFIG_INVALID: REDIS_URL (a standalone redis:// URL) and REDIS_USER_PASSWORDS_DIR are required\n',
    );
    return 2;
  }
  const passwords = await readPasswordFiles(dir, redisServices(SERVICES));
  const redis = createRedisClient({ url }, { offlineQueue: true, connectionName: 'redis-users' });
  try {
    for (const user of await applyRedisUsers({ redis, passwords })) {
      process.stdout.write(`${user.name}: keys ${user.keys.join(' ')}; channels ${user.channels.join(' ')}\n`);
    }
  } finally {
    redis.disconnect();
  }
  return 0;
}

main(process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = errorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`redis-users: ${code === 'UNKNOWN' ? 'ERROR' : code}: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  },
);
