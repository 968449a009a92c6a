import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiTokens, loadApiTokens } from './api-tokens.js';

const A = 'a'.repeat(64);
const B = '0123456789abcdef'.repeat(2);

describe('ApiTokens', () => {
  const tokens = new ApiTokens([
    { user_id: 'user_0001', token: A },
    { user_id: 'ops', token: B, admin: true },
  ]);

  it('finds the principal of a known token, hex case-insensitively', () => {
    expect(tokens.lookup(A)).toEqual({ userId: 'user_0001', admin: false });
    expect(tokens.lookup(B.toUpperCase())).toEqual({ userId: 'ops', admin: true });
  });

  it('knows no other token, not even a prefix or an extension of a real one', () => {
    expect(tokens.lookup(A.slice(0, 63))).toBeNull();
    expect(tokens.lookup(`${A}0`)).toBeNull();
    expect(tokens.lookup('')).toBeNull();
    expect(tokens.lookup('x'.repeat(10_000))).toBeNull();
  });

  it('refuses a token listed twice', () => {
    expect(
      () =>
        new ApiTokens([
          { user_id: 'a', token: A },
          { user_id: 'b', token: A.toUpperCase() },
        ]),
    ).toThrow(/listed twice/);
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
    const path = file(
      'ok.json',
      JSON.stringify([
        { user_id: 'user_0001', token: A },
        { user_id: 'ops', token: B, admin: true },
      ]),
    );
    expect(loadApiTokens(path)).toEqual([
      { user_id: 'user_0001', token: A },
      { user_id: 'ops', token: B, admin: true },
    ]);
  });

  it('names the file and the bad entry', () => {
    expect(() => loadApiTokens(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read \(ENOENT\)/);
    expect(() => loadApiTokens(file('bad.json', '[{'))).toThrow(/bad\.json: not JSON/);
    expect(() => loadApiTokens(file('short.json', JSON.stringify([{ user_id: 'u', token: 'abc' }])))).toThrow(
      /0\.token: expected at least 32 hex/,
    );
    expect(() => loadApiTokens(file('user.json', JSON.stringify([{ user_id: 'User 1', token: A }])))).toThrow(
      /0\.user_id/,
    );
    expect(() =>
      loadApiTokens(file('extra.json', JSON.stringify([{ user_id: 'u', token: A, role: 'admin' }]))),
    ).toThrow(/role/);
    expect(() =>
      loadApiTokens(
        file(
          'dup.json',
          JSON.stringify([
            { user_id: 'u', token: A },
            { user_id: 'v', token: A },
          ]),
        ),
      ),
    ).toThrow(/dup\.json: entry 1 \(v\): token listed twice/);
    try {
      loadApiTokens(file('obj.json', '{}'));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_TOKENS_FILE' });
    }
  });
});
