import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LIVE_TRADES_KEY, PRICE_CACHE_KEY, STREAM_KEY } from '@recio/contract';
import { redisAccess, redisServices, SERVICES } from '@recio/platform';
import { createRedisClient, type RedisClient } from '@recio/router';
import { startPrivateRedis } from '@recio/test-support';
import type { RedisServerHandle } from '@recio/topology';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRedisUsers } from './redis-users.js';

const run = promisify(execFile);
const MAIN = new URL('../dist/redis-users-main.js', import.meta.url).pathname;
const passwords = new Map(redisServices().map((s) => [s.name, `pw-${s.name}-0123456789abcdef`]));

describe('applyRedisUsers on a real Redis', () => {
  let server: RedisServerHandle;
  let admin: RedisClient;
  const clients: Redis[] = [];
  const as = (user: string, password = passwords.get(user)!): Redis => {
    const c = new Redis(server.url, { username: user, password, maxRetriesPerRequest: 0, lazyConnect: true });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = createRedisClient({ url: server.url }, { offlineQueue: true });
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    admin.disconnect();
    await server.close();
  });

  it("gives every Redis service its user with the catalogue's rules: its keys written, others refused", async () => {
    const applied = await applyRedisUsers({ redis: admin, passwords });
    expect(applied.map((u) => u.name)).toEqual(redisServices().map((s) => s.name));
    const watchdog = as('btc-price-watchdog');
    expect(await watchdog.set(PRICE_CACHE_KEY.key('btc'), '1', 'EX', 5)).toBe('OK');
    await expect(watchdog.set(LIVE_TRADES_KEY.key('user_0001'), '1', 'EX', 5)).rejects.toThrow(/NOPERM/);
    const supervisor = as('active-trade-supervisor');
    expect(await supervisor.set(LIVE_TRADES_KEY.key('user_0001'), '1', 'EX', 5)).toBe('OK');
    expect(await supervisor.xadd(STREAM_KEY.key('trades:user_0001'), '*', 'f', 'v')).toMatch(/^\d+-\d+$/);
    await expect(supervisor.flushall()).rejects.toThrow(/NOPERM/);
    // Class by class: it consumes prices (its group's commands) but may not add a tick.
    const prices = STREAM_KEY.key('prices:btc');
    await admin.xadd(prices, '*', 'f', 'v');
    expect(await supervisor.xgroup('CREATE', prices, 'users-test', '0')).toBe('OK');
    expect(await supervisor.xreadgroup('GROUP', 'users-test', 'c', 'COUNT', 1, 'STREAMS', prices, '>')).toHaveLength(1);
    await expect(supervisor.xadd(prices, '*', 'f', 'forged')).rejects.toThrow(/NOPERM/);
    // main-app reads every stream (replay, the gateway) and appends only to settings.
    const mainApp = as('main-app');
    expect(await mainApp.xrange(prices, '-', '+')).toHaveLength(1);
    await expect(mainApp.xadd(STREAM_KEY.key('trades:user_0001'), '*', 'f', 'forged')).rejects.toThrow(/NOPERM/);
    expect(await mainApp.xadd(STREAM_KEY.key('settings:user_0001'), '*', 'f', 'v')).toMatch(/^\d+-\d+$/);
    await expect(as('paper-exchange', 'x'.repeat(16)).ping()).rejects.toThrow(/WRONGPASS/);
    // What the server holds is what the catalogue says (the charts render the same rules).
    const user = (await admin.call('ACL', 'GETUSER', 'btc-price-watchdog')) as unknown[];
    const keys = String(user[user.indexOf('keys') + 1]);
    expect(keys.split(' ')).toEqual(
      redisAccess(SERVICES.find((s) => s.name === 'btc-price-watchdog')!).keys.map((k) => `~${k}`),
    );
  });

  it('replaces rules a user holds beyond the catalogue, and keeps a password set by another checkout', async () => {
    await admin.call('ACL', 'SETUSER', 'relay', '~*', '+@all', '>another-checkout-password');
    await applyRedisUsers({ redis: admin, passwords });
    const relay = as('relay');
    await expect(relay.set('anything', '1')).rejects.toThrow(/NOPERM/);
    await expect(relay.flushall()).rejects.toThrow(/NOPERM/);
    expect(await as('relay', 'another-checkout-password').ping()).toBe('PONG');
  });

  it('refuses a missing or weak password before touching any user', async () => {
    const some = new Map(passwords);
    some.delete('relay');
    await expect(applyRedisUsers({ redis: admin, passwords: some })).rejects.toMatchObject({
      code: 'PASSWORD_MISSING',
    });
    await expect(
      applyRedisUsers({ redis: admin, passwords: new Map([...passwords].map(([k]) => [k, 'short'])) }),
    ).rejects.toMatchObject({ code: 'PASSWORD_INVALID' });
  });

  it('runs as a CLI: a line per user, exit 2 on a bad environment, 1 when passwords are missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-users-'));
    try {
      for (const [name, pw] of passwords) await writeFile(join(dir, name), `${pw}\n`);
      const ok = await run(process.execPath, [MAIN], {
        env: { ...process.env, REDIS_URL: server.url, REDIS_USER_PASSWORDS_DIR: dir },
      });
      expect(
        ok.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(':')[0]),
      ).toEqual(redisServices().map((s) => s.name));
      const bad = await run(process.execPath, [MAIN], { env: { ...process.env, REDIS_URL: 'http://x' } }).catch(
        (e: unknown) => e,
      );
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('redis-users: CONFIG_INVALID') });
      await rm(join(dir, 'relay'));
      const missing = await run(process.execPath, [MAIN], {
        env: { ...process.env, REDIS_URL: server.url, REDIS_USER_PASSWORDS_DIR: dir },
      }).catch((e: unknown) => e);
      expect(missing).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('redis-users: PASSWORD_MISSING: no password for relay'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
