import { RATE_LIMIT_KEY } from '@recio/contract';
import type { RedisClient } from '@recio/router';
import { HttpError, parseInput } from '@recio/service-kit';
import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { principalOf, sessionOf } from '../auth.js';
import { SESSION_COOKIE, type Sessions } from '../sessions.js';
import { MAX_PASSWORD_LENGTH, verifySignIn } from '../web-users.js';
import type { Api } from './api.js';

const SignIn = z.object({
  userId: z.string().min(1).max(64),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

/** Failed sign-ins a user name may have per window before it is refused for the rest of it. */
export interface SignInLimit {
  failures: number;
  windowSeconds: number;
}

/** Whether the session cookie is marked Secure: always, never, or when the request came over TLS. */
export type CookieSecure = 'auto' | 'always' | 'never';

/** What the session routes use. */
export interface SessionDeps {
  db: Pool;
  sessions: Sessions;
  redis: RedisClient;
  limit: SignInLimit;
  cookieSecure: CookieSecure;
}

const cookieOptions = (deps: SessionDeps, req: { protocol: string; headers: Record<string, unknown> }) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'strict' as const,
  secure:
    deps.cookieSecure === 'always' ||
    (deps.cookieSecure === 'auto' && (req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https')),
});

/**
 * POST /session, public: a user name and password → the session cookie (HttpOnly, SameSite=Strict,
 * Secure behind TLS) and a CSRF token. Failed attempts are counted per user name across replicas
 * (Redis); past the limit the name is refused with 429 until the window ends, right password or not.
 */
export function registerSignInRoute(open: Api, deps: SessionDeps): void {
  const failures = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: RATE_LIMIT_KEY.key('signin', '').slice(0, -1),
    points: deps.limit.failures,
    duration: deps.limit.windowSeconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: deps.limit.failures, duration: deps.limit.windowSeconds }),
  });
  open.post('/session', async (req, reply) => {
    const body = parseInput(SignIn, req.body);
    // The attempt is counted before the password is checked, and forgiven when it was right:
    // counted after, guesses sent at once would all be checked before the first was counted.
    try {
      await failures.consume(body.userId);
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      const seconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1_000));
      reply.header('retry-after', String(seconds));
      throw new HttpError(429, 'RATE_LIMITED', `too many failed sign-ins; retry in ${seconds} s`);
    }
    let verified: Awaited<ReturnType<typeof verifySignIn>>;
    try {
      verified = await verifySignIn(deps.db, body.userId, body.password);
    } catch (err) {
      // Not checked (PostgreSQL away): not a failed attempt either.
      await failures.reward(body.userId).catch(() => undefined);
      throw err;
    }
    if (!verified) throw new HttpError(401, 'SIGN_IN_FAILED', 'unknown user or wrong password');
    await failures.delete(body.userId);
    const { token, session } = await deps.sessions.start(verified);
    reply.setCookie(SESSION_COOKIE, token, {
      ...cookieOptions(deps, req),
      maxAge: Math.floor(deps.sessions.ttlMs / 1_000),
    });
    return { ...verified.principal, csrfToken: deps.sessions.csrfToken(session) };
  });
}

/** GET /session (who, and a CSRF token, after a reload) and DELETE /session (sign out), authenticated. */
export function registerSessionRoutes(authenticated: Api, deps: SessionDeps): void {
  authenticated.get('/session', async (req) => {
    const current = sessionOf(req);
    if (!current) throw new HttpError(400, 'NOT_A_SESSION', 'this request came with a bearer token, not a session');
    return { ...principalOf(req), csrfToken: deps.sessions.csrfToken(current.session) };
  });

  authenticated.delete('/session', async (req, reply) => {
    const current = sessionOf(req);
    if (!current) throw new HttpError(400, 'NOT_A_SESSION', 'this request came with a bearer token, not a session');
    await deps.sessions.end(current.token);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(deps, req));
    return { signedOut: true };
  });
}
