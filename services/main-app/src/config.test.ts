import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertEnvironmentTotal } from '@recio/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'main-app-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify([{ user_id: 'user_0001', token_sha256: 'ab'.repeat(32) }]));
  const base = { DATABASE_URL: 'postgres://u@db:5432/recio', REDIS_URL: 'redis://r:6379', API_TOKENS_FILE: tokensFile };

  it('fills the defaults and checks the tokens file', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      service: 'main-app',
      port: 3000,
      TRADE_MANAGER_URL: 'http://127.0.0.1:4000',
      ORDER_RATE_PER_SECOND: 2,
      ORDER_BURST: 5,
    });
    expect(c.API_TOKENS_RELOAD_MS).toBe(2_000);
  });

  it('names the bad variable or file', () => {
    expect(() => loadConfig({ ...base, API_TOKENS_FILE: '' })).toThrow(/API_TOKENS_FILE/);
    expect(() => loadConfig({ ...base, ORDER_BURST: '0' })).toThrow(/ORDER_BURST/);
    expect(() => loadConfig({ ...base, ORDER_RATE_PER_SECOND: '-1' })).toThrow(/ORDER_RATE_PER_SECOND/);
    expect(() => loadConfig({ ...base, TRADE_MANAGER_URL: 'not a url' })).toThrow(/TRADE_MANAGER_URL/);
    expect(() => loadConfig({ ...base, API_TOKENS_FILE: join(dir, 'nope.json') })).toThrow(/nope\.json/);
    expect(() => loadConfig({ ...base, API_TOKENS_RELOAD_MS: '10' })).toThrow(/API_TOKENS_RELOAD_MS/);
  });

  it('takes any environment: a configuration, or a stable code naming the variable or file', () => {
    const names = [
      'API_TOKENS_FILE',
      'API_TOKENS_RELOAD_MS',
      'TRADE_MANAGER_URL',
      'TRADE_MANAGER_TIMEOUT_MS',
      'ORDER_RATE_PER_SECOND',
      'ORDER_BURST',
      'SETTINGS_CHANGES_PER_MINUTE',
      'READS_PER_MINUTE',
      'REPLAYS_PER_MINUTE',
      'PORT',
      'REDIS_URL',
      'DATABASE_URL',
    ];
    // a tokens file that is not there is INVALID_TOKENS_FILE, named by its path; the rest INVALID_CONFIG
    assertEnvironmentTotal(
      (env) => {
        try {
          return loadConfig(env);
        } catch (err) {
          if ((err as { code?: string }).code === 'INVALID_TOKENS_FILE')
            throw Object.assign(new Error(`API_TOKENS_FILE: ${(err as Error).message}`), { code: 'INVALID_CONFIG' });
          throw err;
        }
      },
      base,
      names,
      'INVALID_CONFIG',
    );
  });
});
