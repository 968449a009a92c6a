import { HttpError } from '@recio/service-kit';
import type { Principal, TokenLookup } from './api-tokens.js';

/** The parts of a request authentication reads (a Fastify request has them). */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
}

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

// Set by the onRequest hook of the /api scope; a WeakMap keeps main-app off Fastify's types.
const principals = new WeakMap<object, Principal>();

/**
 * The onRequest hook of every /api route: a missing or unknown bearer token is a 401
 * `UNAUTHENTICATED` before the body is even read.
 */
export function authenticate(tokens: TokenLookup) {
  return async (req: AuthRequest, reply: AuthReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    const principal = token === null ? null : tokens.lookup(token);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'UNAUTHENTICATED', token === null ? 'missing bearer token' : 'unknown token');
    }
    principals.set(req, principal);
  };
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
