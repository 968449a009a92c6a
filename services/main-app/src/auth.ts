import { HttpError } from '@recio/service-kit';
import type { Principal, TokenLookup } from './api-tokens.js';
import { CSRF_HEADER, SESSION_COOKIE, type Sessions } from './sessions.js';
import type { Session } from './web-users.js';

/** The parts of a request authentication reads (a Fastify request has them). */
export interface AuthRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed by @fastify/cookie. */
  cookies?: Record<string, string | undefined>;
}

/** Methods that change nothing: a session needs no CSRF token for them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The parts of a reply authentication writes. */
export interface AuthReply {
  header(name: string, value: string): unknown;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  return BEARER.exec(header)?.[1] ?? null;
}

// Set by the onRequest hook of the /api scope; WeakMaps keep main-app off Fastify's types.
const principals = new WeakMap<object, Principal>();
const sessionsOf = new WeakMap<object, { token: string; session: Session }>();

/** Who a request or an upgrade comes from: a bearer token (scripts) or a session cookie (browsers), and which. */
export async function identify(
  req: AuthRequest,
  tokens: TokenLookup,
  sessions: Sessions,
): Promise<
  { principal: Principal; bearer?: string; session?: { token: string; session: Session } } | { refused: string }
> {
  const token = bearerToken(req.headers.authorization);
  if (token !== null) {
    const principal = tokens.lookup(token);
    return principal ? { principal, bearer: token } : { refused: 'unknown token' };
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (cookie === undefined || cookie === '') return { refused: 'sign in, or send a bearer token' };
  const session = await sessions.lookup(cookie);
  return session
    ? { principal: session.principal, session: { token: cookie, session } }
    : { refused: 'session ended: sign in again' };
}

/**
 * The onRequest hook of every authenticated /api route: a bearer token, or a session cookie with,
 * on a state-changing request, its CSRF token in the `x-csrf-token` header. Anything else is a 401
 * `UNAUTHENTICATED` (a 403 `CSRF_INVALID` for a missing or wrong CSRF token) before the body is read.
 */
export function authenticate(tokens: TokenLookup, sessions: Sessions) {
  return async (req: AuthRequest, reply: AuthReply): Promise<void> => {
    const who = await identify(req, tokens, sessions);
    if ('refused' in who) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'UNAUTHENTICATED', who.refused);
    }
    if (who.session) {
      const csrf = req.headers[CSRF_HEADER];
      if (
        !SAFE_METHODS.has(req.method) &&
        !sessions.csrfValid(who.session.session, typeof csrf === 'string' ? csrf : undefined)
      ) {
        throw new HttpError(403, 'CSRF_INVALID', `a signed-in browser sends its CSRF token in ${CSRF_HEADER}`);
      }
      sessionsOf.set(req, who.session);
    }
    principals.set(req, who.principal);
  };
}

/** The browser session the request came with, if it came with one (not a bearer token). */
export function sessionOf(req: object): { token: string; session: Session } | undefined {
  return sessionsOf.get(req);
}

/** Who the (authenticated) request acts for. */
export function principalOf(req: object): Principal {
  const principal = principals.get(req);
  // Only a route registered outside the authenticated scope gets here: a programming error.
  if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'not authenticated');
  return principal;
}

/**
 * The user whose data a read returns: the caller's own, or, for an admin, `?user=`. A trader
 * naming another user is a 403 `FORBIDDEN` (naming themself is allowed).
 */
export function readUser(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.userId) return principal.userId;
  if (principal.admin) return requested;
  throw new HttpError(403, 'FORBIDDEN', "only an admin may read another user's data");
}

/** The user a write acts for: always the caller; `?user=` naming anyone else is a 403 `FORBIDDEN`. */
export function writeUser(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.userId) return principal.userId;
  throw new HttpError(403, 'FORBIDDEN', 'writes act for the authenticated user only');
}

/** Whether a browser's Origin header names the host it connected to (a signed-in socket must). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
