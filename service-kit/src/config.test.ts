import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig } from './config.js';

describe('loadServiceConfig', () => {
  const base = { DATABASE_URL: 'postgres://u@db:5432/recio', REDIS_URL: 'redis://r:6379' };

  it('fills defaults from the service name and reads its own variables', () => {
    const c = loadServiceConfig('trade-manager', 4000, { FEED_URL: z.url() }, { ...base, FEED_URL: 'ws://x:1/feed' });
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
    expect(() => loadServiceConfig('s', 1, {}, { ...base, PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadServiceConfig('s', 1, {}, { ...base, POD_NAME: 'Bad Name' })).toThrow(/POD_NAME/);
    expect(() => loadServiceConfig('s', 1, { FEED_URL: z.url() }, base)).toThrow(/FEED_URL/);
    expect(() => loadServiceConfig('s', 1, {}, { ...base, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadServiceConfig('s', 1234, {}, { ...base, PORT: '' }).port).toBe(1234);
  });
});
