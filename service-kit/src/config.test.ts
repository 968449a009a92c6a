import { SERVICES } from '@recio/platform';
import { assertEnvironmentTotal } from '@recio/test-support';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig, SHARED_VARIABLES } from './config.js';

describe('loadServiceConfig', () => {
  const base = { DATABASE_URL: 'postgres://u@db:5432/recio', REDIS_URL: 'redis://r:6379' };

  it('fills defaults from the service name and reads its own variables', () => {
    const c = loadServiceConfig('trade-manager', { FEED_URL: z.url() }, { ...base, FEED_URL: 'ws://x:1/feed' });
    expect(c).toMatchObject({
      service: 'trade-manager',
      port: 4000,
      podName: 'trade-manager-local',
      drainDeadlineMs: 10_000,
      FEED_URL: 'ws://x:1/feed',
    });
    expect(c.redis).toEqual({ url: 'redis://r:6379' });
  });

  it('names the bad variable', () => {
    expect(() => loadServiceConfig('s', {}, { ...base, PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadServiceConfig('s', {}, { ...base, POD_NAME: 'Bad Name' })).toThrow(/POD_NAME/);
    expect(() => loadServiceConfig('s', { FEED_URL: z.url() }, base)).toThrow(/FEED_URL/);
    expect(() => loadServiceConfig('s', {}, { ...base, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('takes the port from the catalogue, and asks for PORT for a service the catalogue does not have', () => {
    expect(loadServiceConfig('relay', {}, base).port).toBe(9464);
    expect(loadServiceConfig('kit-fixture', {}, { ...base, PORT: '8123' }).port).toBe(8123);
    expect(() => loadServiceConfig('kit-fixture', {}, base)).toThrow(/^PORT: required/);
  });

  it('defaults the exchange to the local paper exchange on its catalogue port', () => {
    const c = loadServiceConfig('trade-executor', SHARED_VARIABLES, base);
    expect(c.EXCHANGE_BASE_URL).toBe('http://127.0.0.1:8090/trade-api/v2');
    expect(c.EXCHANGE_WS_URL).toBe('ws://127.0.0.1:8090/trade-api/ws/v2');
  });

  it('treats an empty variable as unset', () => {
    expect(loadServiceConfig('main-app', {}, { ...base, PORT: '' }).port).toBe(3000);
  });

  it.each(SERVICES.map((s) => [s.name, s]))(
    'takes any environment of %s: a configuration, or INVALID_CONFIG naming the variable',
    (_name, spec) => {
      const names = [
        ...new Set([...spec.env, ...Object.keys(SHARED_VARIABLES), 'DRAIN_DEADLINE_MS', 'REDIS_COMMAND_TIMEOUT_MS']),
      ];
      assertEnvironmentTotal(
        (env) => loadServiceConfig(spec.name, SHARED_VARIABLES, env),
        base,
        names,
        'INVALID_CONFIG',
        100,
      );
    },
  );
});
