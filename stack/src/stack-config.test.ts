import { describe, expect, it } from 'vitest';
import { loadStackConfig } from './stack-config.js';

describe('loadStackConfig', () => {
  it('fills in the defaults', () => {
    expect(loadStackConfig({}, '/repo')).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgres://127.0.0.1:5432/recio',
      logLevel: 'info',
      services: undefined,
      controlPort: 8099,
      users: ['user_0001', 'user_0002', 'user_0003'],
      balanceCents: 1_000_000,
      devDir: '/repo/.recio/dev',
      stopDeadlineMs: 10_000,
      readyTimeoutMs: 120_000,
      exchange: { kind: 'paper' },
      databaseRoles: 'per-service',
      redisUsers: 'per-service',
    });
  });

  it('reads the variables, an empty one counting as unset', () => {
    const c = loadStackConfig(
      {
        REDIS_URL: 'redis://r:6380',
        STACK_SERVICES: 'main-app, relay',
        STACK_USERS: '2',
        STACK_CONTROL_PORT: '8100',
        STACK_DEV_DIR: '',
        LOG_LEVEL: 'debug',
      },
      '/repo',
    );
    expect(loadStackConfig({ STACK_DATABASE_ROLES: 'owner' }, '/repo').databaseRoles).toBe('owner');
    expect(loadStackConfig({ STACK_REDIS_USERS: 'shared' }, '/repo').redisUsers).toBe('shared');
    expect(c).toMatchObject({
      redisUrl: 'redis://r:6380',
      services: ['main-app', 'relay'],
      users: ['user_0001', 'user_0002'],
      controlPort: 8100,
      devDir: '/repo/.recio/dev',
      logLevel: 'debug',
    });
  });

  it('rejects a bad value with a message naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ REDIS_URL: 'http://x' }, /^REDIS_URL: /],
      [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: /],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
      [{ STACK_SERVICES: 'main-app,nope' }, /^STACK_SERVICES: unknown service\(s\) nope/],
      [{ STACK_CONTROL_PORT: '70000' }, /^STACK_CONTROL_PORT: expected an integer from 1 to 65535, got "70000"/],
      [{ STACK_USERS: '0' }, /^STACK_USERS: /],
      [{ STACK_BALANCE_CENTS: '12.5' }, /^STACK_BALANCE_CENTS: /],
      [{ STACK_STOP_DEADLINE_MS: 'soon' }, /^STACK_STOP_DEADLINE_MS: /],
      [{ STACK_DATABASE_ROLES: 'none' }, /^STACK_DATABASE_ROLES: must be per-service or owner, got "none"/],
      [{ STACK_REDIS_USERS: 'admin' }, /^STACK_REDIS_USERS: must be per-service or shared, got "admin"/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadStackConfig(env, '/repo')).toThrow(message);
      expect(() => loadStackConfig(env, '/repo')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
