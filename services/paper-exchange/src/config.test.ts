import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'paper-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8090,
      seed: '1',
      clock: 'realtime',
      startMs: undefined,
      speed: 1,
      tickSeconds: 1,
      startPrice: 100_000,
      shocks: [],
      accounts: [],
      adminToken: undefined,
      logLevel: 'info',
    });
  });

  it('parses every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      PAPER_SEED: 'abc',
      PAPER_CLOCK: 'stepped',
      PAPER_START: '2025-07-16T20:30:00Z',
      PAPER_SPEED: '60',
      PAPER_TICK_SECONDS: '5',
      PAPER_START_PRICE: '118000',
      PAPER_SHOCKS: '[{"atMs":60000,"pct":-3,"overSeconds":10}]',
      PAPER_ADMIN_TOKEN: 'secret-token',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 9000,
      seed: 'abc',
      clock: 'stepped',
      startMs: Date.parse('2025-07-16T20:30:00Z'),
      speed: 60,
      tickSeconds: 5,
      startPrice: 118_000,
      adminToken: 'secret-token',
      logLevel: 'warn',
    });
    expect(config.shocks).toEqual([{ atMs: 60_000, pct: -3, overSeconds: 10 }]);
  });

  it('names the bad variable', () => {
    expect(failure({ PORT: 'eighty' }).variable).toBe('PORT');
    expect(failure({ PAPER_CLOCK: 'fast' }).variable).toBe('PAPER_CLOCK');
    expect(failure({ PAPER_START: 'yesterday' }).variable).toBe('PAPER_START');
    expect(failure({ PAPER_SPEED: '0' }).variable).toBe('PAPER_SPEED');
    expect(failure({ PAPER_SHOCKS: '[{' }).variable).toBe('PAPER_SHOCKS');
    expect(failure({ PAPER_SHOCKS: '[{"atMs":1}]' }).message).toMatch(/^PAPER_SHOCKS: /);
    expect(failure({ PAPER_ADMIN_TOKEN: 'short' }).variable).toBe('PAPER_ADMIN_TOKEN');
    expect(failure({ PAPER_ACCOUNTS_FILE: join(dir, 'missing.json') }).variable).toBe('PAPER_ACCOUNTS_FILE');
  });

  it('reads accounts with an inline PEM or a PEM file next to the accounts file', () => {
    const { publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(join(dir, 'u2.pem'), publicKey);
    const file = join(dir, 'accounts.json');
    writeFileSync(
      file,
      JSON.stringify([
        { key_id: 'u1', public_key_pem: publicKey, balance_cents: 100_00 },
        { key_id: 'u2', public_key_pem_file: 'u2.pem', balance_cents: 5_000_00 },
      ]),
    );
    const config = loadConfig({ PAPER_ACCOUNTS_FILE: file });
    expect(config.accounts).toEqual([
      { keyId: 'u1', publicKeyPem: publicKey, balanceCents: 10_000 },
      { keyId: 'u2', publicKeyPem: publicKey, balanceCents: 500_000 },
    ]);
    writeFileSync(file, JSON.stringify([{ key_id: 'u3', balance_cents: 1 }]));
    expect(failure({ PAPER_ACCOUNTS_FILE: file }).message).toMatch(/exactly one of public_key_pem/);
  });
});
