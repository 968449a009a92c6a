import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '@recio/test-support';
import { ApiTokenFile, ApiTokens, loadApiTokens, tokenDigest } from './api-tokens.js';

const A = 'a'.repeat(64);
const B = '0123456789abcdef'.repeat(2);
const entry = (user_id: string, token: string, admin?: boolean) => ({
  user_id,
  token_sha256: tokenDigest(token),
  ...(admin === undefined ? {} : { admin }),
});

describe('ApiTokens', () => {
  const tokens = new ApiTokens([entry('user_0001', A), entry('ops', B, true)]);

  it('finds the principal of a known token by its digest, hex case-insensitively', () => {
    expect(tokens.lookup(A)).toEqual({ userId: 'user_0001', admin: false });
    expect(tokens.lookup(B.toUpperCase())).toEqual({ userId: 'ops', admin: true });
  });

  it('knows no other token: not a prefix or an extension of a real one, not its digest', () => {
    expect(tokens.lookup(A.slice(0, 63))).toBeNull();
    expect(tokens.lookup(`${A}0`)).toBeNull();
    expect(tokens.lookup('')).toBeNull();
    expect(tokens.lookup('x'.repeat(10_000))).toBeNull();
    // someone holding the file (or its Secret) holds digests, which are not tokens
    expect(tokens.lookup(tokenDigest(A))).toBeNull();
  });

  it('refuses a token listed twice', () => {
    expect(() => new ApiTokens([entry('a', A), entry('b', A.toUpperCase())])).toThrow(/listed twice/);
  });
});

describe('loadApiTokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'main-app-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads a valid file', () => {
    const entries = [entry('user_0001', A), entry('ops', B, true)];
    expect(loadApiTokens(file('ok.json', JSON.stringify(entries)))).toEqual(entries);
  });

  it('names the file and the bad entry, and refuses a token in the clear, saying what to store', () => {
    expect(() => loadApiTokens(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read \(ENOENT\)/);
    expect(() => loadApiTokens(file('bad.json', '[{'))).toThrow(/bad\.json: not JSON/);
    expect(() => loadApiTokens(file('clear.json', JSON.stringify([{ user_id: 'u', token: A }])))).toThrow(
      /clear\.json: 0: holds a token in the clear; store its digest as token_sha256/,
    );
    expect(() => loadApiTokens(file('short.json', JSON.stringify([{ user_id: 'u', token_sha256: 'abc' }])))).toThrow(
      /0\.token_sha256: expected the SHA-256/,
    );
    expect(() => loadApiTokens(file('user.json', JSON.stringify([entry('User 1', A)])))).toThrow(/0\.user_id/);
    expect(() => loadApiTokens(file('extra.json', JSON.stringify([{ ...entry('u', A), role: 'admin' }])))).toThrow(
      /role/,
    );
    expect(() => loadApiTokens(file('dup.json', JSON.stringify([entry('u', A), entry('v', A)])))).toThrow(
      /dup\.json: entry 1 \(v\): token listed twice/,
    );
    try {
      loadApiTokens(file('obj.json', '{}'));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_TOKENS_FILE' });
    }
  });
});

describe('ApiTokenFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'main-app-token-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a revoked token away without a restart, and keeps the last good tokens over a broken file', async () => {
    const path = join(dir, 'tokens.json');
    // Written as a mounted Secret changes: a new file renamed over the old one.
    const replace = (text: string) => {
      writeFileSync(`${path}.new`, text);
      renameSync(`${path}.new`, path);
    };
    replace(JSON.stringify([entry('user_0001', A), entry('user_0002', B)]));
    const registry = new Registry();
    const file = new ApiTokenFile(path, { reloadMs: 50, logger: pino({ level: 'silent' }), registry });
    try {
      expect(file.lookup(B)?.userId).toBe('user_0002');
      replace(JSON.stringify([entry('user_0001', A)]));
      await until('the revoked token refused', () => file.lookup(B) === null || undefined);
      expect(file.lookup(A)?.userId).toBe('user_0001');

      replace('[{"user_id": "user_0001", "tok');
      const errors = async () => (await registry.getSingleMetric('recio_api_token_reload_errors_total')!.get()).values;
      await until('the broken file counted', async () => ((await errors())[0]?.value === 1 ? true : undefined));
      expect(file.lookup(A)?.userId).toBe('user_0001');

      replace(JSON.stringify([entry('user_0001', A), entry('user_0003', B)]));
      await until('the next good file taken', () => file.lookup(B)?.userId === 'user_0003' || undefined);
    } finally {
      file.close();
    }
  });

  it('sees a change made right after it read the file, before its first check', () => {
    const path = join(dir, 'early.json');
    writeFileSync(path, JSON.stringify([entry('user_0001', A), entry('user_0002', B)]));
    // A long interval: only the explicit check below can see the change.
    const file = new ApiTokenFile(path, {
      reloadMs: 3_600_000,
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
    });
    try {
      writeFileSync(`${path}.new`, JSON.stringify([entry('user_0001', A)]));
      renameSync(`${path}.new`, path);
      expect(file.lookup(B)?.userId).toBe('user_0002');
      file.checkNow();
      expect(file.lookup(B)).toBeNull();
    } finally {
      file.close();
    }
  });
});
