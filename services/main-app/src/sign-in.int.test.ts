import { GATEWAY_CLOSE } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import { createTestDatabase, startPrivateRedis, uniqueName, type TestDatabase } from '@recio/test-support';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig, type MainAppConfig } from './config.js';
import { startMainApp } from './main-app.js';
import { addUser, disableUser } from './web-users.js';

// Browser sign-in against a real main-app, PostgreSQL and Redis: the session cookie, CSRF on every
// state-changing request, failed sign-ins limited, sessions ended by sign-out and by `recio users
// disable`, and the gateway's upgrade by cookie from the page's own origin only.

describe('browser sign-in', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let app: RunningService<MainAppConfig>;
  const dir = mkdtempSync(join(tmpdir(), 'sign-in-int-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const alice = uniqueName('user_');
  const bob = uniqueName('user_');
  const carol = uniqueName('user_');
  const dave = uniqueName('user_');
  const erin = uniqueName('user_');
  const frank = uniqueName('user_');
  const gina = uniqueName('user_');
  const password = 'a long enough password';
  let baseEnv: Record<string, string>;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(tokensFile, '[]');
    baseEnv = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      POD_NAME: 'main-app-0',
      API_TOKENS_FILE: tokensFile,
      SIGN_IN_FAILURES: '3',
      // Every request asks PostgreSQL, so a disable shows at once (the default trusts a session for 30 s).
      SESSION_RECHECK_MS: '0',
    };
    app = await startService({ config: { ...loadConfig(baseEnv), port: 0 }, logger, start: startMainApp });
    for (const u of [alice, bob, carol, dave, erin, frank, gina]) await addUser(app.context.pool, u, password, false);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = (userId: string, pw: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ userId, password: pw }),
    });
  /** Signs in; the cookie header to send back and the CSRF token. */
  const session = async (userId: string) => {
    const res = await signIn(userId, password);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const body = (await res.json()) as { userId: string; admin: boolean; csrfToken: string };
    return { cookie, csrf: body.csrfToken, body, setCookie: res.headers.get('set-cookie')! };
  };
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${app.url}/api/v1${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('signs in with a session cookie (HttpOnly, SameSite=Strict) and reads as that user', async () => {
    const s = await session(alice);
    expect(s.body).toMatchObject({ userId: alice, admin: false });
    expect(s.setCookie).toMatch(/^recio_session=[\w-]{43}; /);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Strict/);
    expect(s.setCookie).not.toMatch(/Secure/);
    expect(await call('GET', '/me', { cookie: s.cookie })).toEqual({
      status: 200,
      body: { userId: alice, admin: false },
    });
    const again = await call('GET', '/session', { cookie: s.cookie });
    expect(again.body).toMatchObject({ userId: alice });
    expect(typeof again.body.csrfToken).toBe('string');
    // The session table holds the token's digest only.
    const { rows } = await app.context.pool.query('SELECT token_sha256 FROM web_session WHERE user_id = $1', [alice]);
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(s.cookie.split('=')[1]);
  });

  it("deletes a user's expired sessions when they sign in (regression: every sign-in's row was kept forever)", async () => {
    const expired = Buffer.alloc(32, 7);
    await app.context.pool.query(
      `INSERT INTO web_session (token_sha256, user_id, csrf_secret, expires_at, password_changed_at)
       SELECT $1, user_id, 's', now() - interval '1 hour', password_changed_at FROM web_user WHERE user_id = $2`,
      [expired, alice],
    );
    const live = await session(alice);
    const { rows } = await app.context.pool.query<{ expired: boolean }>(
      'SELECT expires_at <= now() AS expired FROM web_session WHERE user_id = $1',
      [alice],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.expired)).toEqual([]);
    expect((await call('GET', '/me', { cookie: live.cookie })).status).toBe(200);
  });

  it('marks the cookie Secure when the request came over TLS', async () => {
    const res = await signIn(alice, password, { 'x-forwarded-proto': 'https' });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('needs the CSRF token on every state-changing request of a session, and only of its own session', async () => {
    const s = await session(bob);
    const other = await session(carol);
    const patch = { autoEntry: { enabled: true } };
    expect(await call('PATCH', '/settings', { cookie: s.cookie }, patch)).toMatchObject({
      status: 403,
      body: { error: { code: 'CSRF_INVALID' } },
    });
    expect(await call('PATCH', '/settings', { cookie: s.cookie, 'x-csrf-token': other.csrf }, patch)).toMatchObject({
      status: 403,
    });
    expect(await call('PATCH', '/settings', { cookie: s.cookie, 'x-csrf-token': s.csrf }, patch)).toMatchObject({
      status: 200,
      body: { settings: { autoEntry: { enabled: true } } },
    });
  });

  it('refuses a wrong password and an unknown user alike, and limits failed sign-ins per user name', async () => {
    const wrong = await signIn(carol, 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: { code: 'SIGN_IN_FAILED', message: 'unknown user or wrong password' },
    });
    const unknown = await signIn('nobody_here', password);
    expect(await unknown.json()).toEqual({
      error: { code: 'SIGN_IN_FAILED', message: 'unknown user or wrong password' },
    });
    await signIn(carol, 'still wrong password');
    await signIn(carol, 'and wrong again!!');
    // The limit is reached: even the right password waits.
    const limited = await signIn(carol, password);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as any).error.code).toBe('RATE_LIMITED');
    for (const bad of [{}, { userId: carol }, { userId: carol, password: 'x'.repeat(300) }, 'nope']) {
      const res = await fetch(`${app.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bad),
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('counts guesses sent all at once: no more are checked than the limit allows (regression: each was counted after its check)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn(dave, `wrong password number ${i}`).then((r) => r.status)),
    );
    // SIGN_IN_FAILURES is 3: three guesses checked, the rest refused before any check.
    expect(answers.filter((s) => s === 401)).toHaveLength(3);
    expect(answers.filter((s) => s === 429)).toHaveLength(9);
  });

  it('counts no failed attempt for a sign-in PostgreSQL could not check (regression: an outage locked the user out)', async () => {
    await app.context.pool.query('ALTER TABLE web_user RENAME TO web_user_away');
    try {
      for (let i = 0; i < 4; i++) expect((await signIn(gina, password)).status).toBe(500);
    } finally {
      await app.context.pool.query('ALTER TABLE web_user_away RENAME TO web_user');
    }
    expect((await signIn(gina, password)).status).toBe(200);
  });

  it('makes no working session from a password changed while its sign-in was checked (regression: the old password kept a session the change never ended)', async () => {
    // A password change under way, as `recio users passwd` runs it: the row updated and the user's
    // sessions deleted, not yet committed.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query(
        `UPDATE web_user SET password_hash = 'changed', password_changed_at = now() WHERE user_id = $1`,
        [erin],
      );
      await admin.query('DELETE FROM web_session WHERE user_id = $1', [erin]);
      // The sign-in reads the old password (the change is not committed), which matches, and writes
      // its session after the change deleted the user's sessions.
      const res = await signIn(erin, password);
      await admin.query('COMMIT');
      const cookie = res.headers.get('set-cookie')?.split(';')[0];
      expect(res.status).toBe(200);
      expect((await call('GET', '/me', { cookie: cookie! })).status).toBe(401);
    } finally {
      await admin.end();
    }
  });

  it('signs out with every other budget spent (regression: sign-out spent the settings budget, and a 429 left the session alive)', async () => {
    const s = await session(bob);
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    let status = 0;
    for (let i = 0; i < 200 && status !== 429; i++)
      status = (await call('PATCH', '/settings', headers, { autoEntry: { enabled: i % 2 === 0 } })).status;
    expect(status).toBe(429);
    expect((await call('DELETE', '/session', headers)).status).toBe(200);
    expect((await call('GET', '/me', { cookie: s.cookie })).status).toBe(401);
  });

  it('ends a session on sign-out, and every session of a disabled user', async () => {
    const s = await session(alice);
    expect((await call('DELETE', '/session', { cookie: s.cookie, 'x-csrf-token': s.csrf })).status).toBe(200);
    expect(await call('GET', '/me', { cookie: s.cookie })).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED' } },
    });
    const t = await session(alice);
    expect((await call('GET', '/me', { cookie: t.cookie })).status).toBe(200);
    await disableUser(app.context.pool, alice);
    expect((await call('GET', '/me', { cookie: t.cookie })).status).toBe(401);
    expect((await signIn(alice, password)).status).toBe(401);
  });

  it('closes a signed-in socket as unauthenticated once its session ends, by sign-out or a disable (regression: it went on streaming)', async () => {
    const url = `${app.url.replace('http', 'ws')}/ws`;
    const origin = `http://${new URL(app.url).host}`;
    const socketOf = async (cookie: string) => {
      const ws = new WebSocket(url, { headers: { cookie, origin } });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { ws, closed };
    };
    const [s, t, other] = [await session(bob), await session(bob), await session(frank)];
    const [signedOut, stays, others] = [
      await socketOf(s.cookie),
      await socketOf(t.cookie),
      await socketOf(other.cookie),
    ];
    expect((await call('DELETE', '/session', { cookie: s.cookie, 'x-csrf-token': s.csrf })).status).toBe(200);
    expect(await signedOut.closed).toBe(GATEWAY_CLOSE.UNAUTHENTICATED);
    expect(stays.ws.readyState).toBe(WebSocket.OPEN);
    await disableUser(app.context.pool, frank);
    expect(await others.closed).toBe(GATEWAY_CLOSE.UNAUTHENTICATED);
    expect(stays.ws.readyState).toBe(WebSocket.OPEN);
    stays.ws.close();
  });

  it("opens a gateway socket with the session cookie from the page's own origin only", async () => {
    const s = await session(bob);
    const url = `${app.url.replace('http', 'ws')}/ws`;
    const host = new URL(app.url).host;
    const open = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers: { cookie: s.cookie, origin } });
        ws.on('error', () => undefined);
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await open(`http://${host}`)).toBe(101);
    expect(await open('https://evil.example')).toBe(403);
  });
});
