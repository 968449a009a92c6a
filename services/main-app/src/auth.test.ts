import { describe, expect, it } from 'vitest';
import { ApiTokens, tokenDigest } from './api-tokens.js';
import { authenticate, bearerToken, principalOf, readUser, sameOrigin, writeUser } from './auth.js';
import { Sessions } from './sessions.js';

const trader = { userId: 'user_0001', admin: false };
const admin = { userId: 'ops', admin: true };

describe('bearerToken', () => {
  it('takes the token of a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc123')).toBe('abc123');
    expect(bearerToken('bearer   abc123 ')).toBe('abc123');
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(['Bearer abc'])).toBeNull();
  });
});

describe('authenticate', () => {
  const token = 'f'.repeat(32);
  // No request here has a session cookie: the session store is never asked (sign-in.int.test.ts runs those).
  const noSessions = new Sessions(
    { query: () => Promise.reject(new Error('no session store here')) },
    { ttlMs: 1, recheckMs: 0 },
  );
  const hook = authenticate(new ApiTokens([{ user_id: 'user_0001', token_sha256: tokenDigest(token) }]), noSessions);
  const reply = () => {
    const headers: Record<string, string> = {};
    return { headers, header: (name: string, value: string) => (headers[name] = value) };
  };

  it('records the principal of a known token', async () => {
    const req = { method: 'POST', headers: { authorization: `Bearer ${token}` } };
    await hook(req, reply());
    expect(principalOf(req)).toEqual(trader);
  });

  it('answers 401 UNAUTHENTICATED with a Bearer challenge otherwise', async () => {
    for (const authorization of [undefined, 'Bearer 0123', `Basic ${token}`]) {
      const r = reply();
      const req = { method: 'GET', headers: { authorization } };
      await expect(hook(req, r)).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(() => principalOf(req)).toThrow(/not authenticated/);
    }
  });
});

describe('sameOrigin', () => {
  it("accepts only an Origin naming the connection's own host and port", () => {
    expect(sameOrigin('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(sameOrigin('https://recio.example', 'recio.example')).toBe(true);
    expect(sameOrigin('https://evil.example', 'recio.example')).toBe(false);
    expect(sameOrigin('http://127.0.0.1:3001', '127.0.0.1:3000')).toBe(false);
    expect(sameOrigin('null', '127.0.0.1:3000')).toBe(false);
    expect(sameOrigin(undefined, '127.0.0.1:3000')).toBe(false);
    expect(sameOrigin('http://127.0.0.1:3000', undefined)).toBe(false);
  });
});

describe('readUser and writeUser', () => {
  it('lets a trader read and write only their own data', () => {
    expect(readUser(trader, undefined)).toBe('user_0001');
    expect(readUser(trader, 'user_0001')).toBe('user_0001');
    expect(() => readUser(trader, 'user_0002')).toThrow(expect.objectContaining({ status: 403, code: 'FORBIDDEN' }));
    expect(writeUser(trader, undefined)).toBe('user_0001');
    expect(() => writeUser(trader, 'user_0002')).toThrow(expect.objectContaining({ status: 403, code: 'FORBIDDEN' }));
  });

  it("lets an admin read another user's data but write only their own", () => {
    expect(readUser(admin, 'user_0002')).toBe('user_0002');
    expect(readUser(admin, undefined)).toBe('ops');
    expect(writeUser(admin, undefined)).toBe('ops');
    expect(() => writeUser(admin, 'user_0002')).toThrow(expect.objectContaining({ status: 403, code: 'FORBIDDEN' }));
  });
});
