import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the local servers, with a user name like libpq', () => {
    const c = loadConfig({});
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379' });
    expect(c.databaseUrl).toBe(`postgres://${userInfo().username}@127.0.0.1:5432/recio`);
    expect(loadConfig({ USER: 'alice' }).databaseUrl).toBe('postgres://alice@127.0.0.1:5432/recio');
    expect(loadConfig({ USER: 'alice', PGUSER: 'bob' }).databaseUrl).toBe('postgres://bob@127.0.0.1:5432/recio');
    expect(loadConfig({ DATABASE_URL: 'postgres://carol@db:5432/x' }).databaseUrl).toBe('postgres://carol@db:5432/x');
  });

  it('gives a standalone URL the ACL user of REDIS_USERNAME and REDIS_PASSWORD (regression: they were dropped)', () => {
    expect(
      loadConfig({ REDIS_URL: 'redis://h:6380', REDIS_USERNAME: 'trade-manager', REDIS_PASSWORD: 'pw' }).redis,
    ).toEqual({ url: 'redis://h:6380', username: 'trade-manager', password: 'pw' });
  });

  it('reads Sentinel and Cluster topologies', () => {
    expect(
      loadConfig({ REDIS_SENTINELS: 'a:26379, b:26380', REDIS_SENTINEL_NAME: 'm', REDIS_PASSWORD: 'p' }).redis,
    ).toEqual({
      sentinels: [
        { host: 'a', port: 26379 },
        { host: 'b', port: 26380 },
      ],
      name: 'm',
      password: 'p',
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' }).redis).toEqual({
      cluster: [{ host: '10.0.0.1', port: 7000 }],
    });
  });

  it.each([
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ REDIS_CLUSTER_NODES: 'x' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '-5' }, 'REDIS_COMMAND_TIMEOUT_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ REDIS_URL: 'redis://a', REDIS_SENTINELS: 'a:1' }, 'only one'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining(message) }),
    );
  });
});
