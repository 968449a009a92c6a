import CsrfTokens from '@fastify/csrf';
import type { Db } from './db.js';
import {
  createSession,
  deleteSession,
  findSession,
  sessionDigest,
  type Session,
  type VerifiedSignIn,
} from './web-users.js';

/** The cookie holding a browser's session token (HttpOnly, SameSite=Strict, Secure behind TLS). */
export const SESSION_COOKIE = 'recio_session';

/** The header a signed-in browser sends its CSRF token in, on every state-changing request. */
export const CSRF_HEADER = 'x-csrf-token';

/** Entries the cache holds at most; the oldest go first (random cookies cannot grow the process). */
const MAX_CACHED = 20_000;

const csrf = CsrfTokens();

/** A session's cache key: its token's digest, as web_session stores it (the token itself is not kept). */
const cacheKey = (token: string) => sessionDigest(token).toString('hex');

/**
 * Browser sessions (web_session), each looked up in PostgreSQL at most once per `recheckMs`: a
 * page load or a reconnect in the steady state costs no query, and a session ended elsewhere
 * (sign-out on another replica, `recio users passwd|disable`) stops working within `recheckMs`.
 * CSRF tokens are made from the session's own secret (@fastify/csrf), so a token is good for its
 * session only.
 */
export class Sessions {
  readonly #db: Db;
  readonly #ttlMs: number;
  readonly #recheckMs: number;
  /** By the token's digest (hex): the session or null, and when PostgreSQL said so. */
  readonly #cache = new Map<string, { session: Session | null; at: number }>();

  constructor(db: Db, options: { ttlMs: number; recheckMs: number }) {
    this.#db = db;
    this.#ttlMs = options.ttlMs;
    this.#recheckMs = options.recheckMs;
  }

  /** How long a session lasts. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A new session for a verified sign-in, and the cookie's token. */
  async start(signedIn: VerifiedSignIn): Promise<{ token: string; session: Session }> {
    const session = { principal: signedIn.principal, csrfSecret: await csrf.secret() };
    const token = await createSession(this.#db, session, this.#ttlMs, signedIn.passwordChangedAt);
    this.#remember(cacheKey(token), session);
    return { token, session };
  }

  /** The session, or null when it is unknown, expired, ended or its user disabled. */
  async lookup(token: string): Promise<Session | null> {
    const key = cacheKey(token);
    const cached = this.#cache.get(key);
    if (cached && Date.now() - cached.at < this.#recheckMs) return cached.session;
    const session = await findSession(this.#db, token);
    this.#remember(key, session);
    return session;
  }

  async end(token: string): Promise<void> {
    await deleteSession(this.#db, token);
    this.#remember(cacheKey(token), null);
  }

  /** A CSRF token for the session (a new one each time; each stays good for the session). */
  csrfToken(session: Session): string {
    return csrf.create(session.csrfSecret);
  }

  csrfValid(session: Session, token: string | undefined): boolean {
    return token !== undefined && csrf.verify(session.csrfSecret, token);
  }

  #remember(key: string, session: Session | null): void {
    this.#cache.delete(key);
    this.#cache.set(key, { session, at: Date.now() });
    if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
  }
}
