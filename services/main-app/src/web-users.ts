import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import type { Principal } from './api-tokens.js';
import { USER_ID } from './api-tokens.js';

// Browser sign-in: users with an argon2id password hash (web_user), sessions as the SHA-256 of a
// random cookie token (web_session). `recio users` manages the users; main-app signs them in.

/** The shortest password `recio users` accepts. */
export const MIN_PASSWORD_LENGTH = 12;
/** The longest (argon2 takes any length; a bound keeps a request from costing a second of CPU per MB). */
export const MAX_PASSWORD_LENGTH = 256;

/** An argon2id hash of `password` (the library's defaults: OWASP's minimum, m=19 MiB, t=2, p=1). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A password a user may be given: its length in bounds. */
export function checkPassword(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password has at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** A session token's digest, as web_session stores it. */
export function sessionDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

// Verified against when a user name is unknown, so that answer takes as long as a wrong password.
const DECOY_HASH = hash(randomBytes(16).toString('hex'));

/**
 * A password verified: who, and which of the user's passwords it was (`password_changed_at` as
 * text, to the microsecond): a session made from it is valid only while that is still the user's.
 */
export interface VerifiedSignIn {
  principal: Principal;
  passwordChangedAt: string;
}

/** The user signing in with `password`, or null (unknown, disabled or wrong password: one answer). */
export async function verifySignIn(db: Db, userId: string, password: string): Promise<VerifiedSignIn | null> {
  if (!USER_ID.safeParse(userId).success || password.length > MAX_PASSWORD_LENGTH) return null;
  const { rows } = await db.query<{ password_hash: string; admin: boolean; changed: string }>(
    'SELECT password_hash, admin, password_changed_at::text AS changed FROM web_user WHERE user_id = $1 AND disabled_at IS NULL',
    [userId],
  );
  const row = rows[0];
  const ok = await verify(row?.password_hash ?? (await DECOY_HASH), password).catch(() => false);
  return row && ok ? { principal: { userId, admin: row.admin }, passwordChangedAt: row.changed } : null;
}

/** {@link verifySignIn}'s principal. */
export async function checkSignIn(db: Db, userId: string, password: string): Promise<Principal | null> {
  return (await verifySignIn(db, userId, password))?.principal ?? null;
}

/** A signed-in browser: who, and the secret its CSRF tokens are made from. */
export interface Session {
  principal: Principal;
  csrfSecret: string;
}

/**
 * Creates a session for `principal`, made from the password its sign-in verified
 * (`passwordChangedAt`); returns the cookie's token (only its digest is stored). The user's
 * expired sessions go in the same statement: a user's rows stay those of one TTL of sign-ins.
 */
export async function createSession(
  db: Db,
  session: Session,
  ttlMs: number,
  passwordChangedAt: string,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `WITH expired AS (DELETE FROM web_session WHERE user_id = $2 AND expires_at <= now())
     INSERT INTO web_session (token_sha256, user_id, csrf_secret, expires_at, password_changed_at)
      VALUES ($1, $2, $3, $4, $5::timestamptz)`,
    [
      sessionDigest(token),
      session.principal.userId,
      session.csrfSecret,
      new Date(Date.now() + ttlMs),
      passwordChangedAt,
    ],
  );
  return token;
}

/**
 * A live session (not expired, its user not disabled, made from the user's current password), or
 * null. The last holds even for a session written after a password change deleted the user's
 * sessions (its sign-in verified the old password while the change ran). A session without the
 * value was written by a replica of the version before (a rolling upgrade) and is checked as then.
 */
export async function findSession(db: Db, token: string): Promise<Session | null> {
  const { rows } = await db.query<{ user_id: string; admin: boolean; csrf_secret: string }>(
    `SELECT s.user_id, u.admin, s.csrf_secret FROM web_session s JOIN web_user u USING (user_id)
      WHERE s.token_sha256 = $1 AND s.expires_at > now() AND u.disabled_at IS NULL
        AND (s.password_changed_at = u.password_changed_at OR s.password_changed_at IS NULL)`,
    [sessionDigest(token)],
  );
  const row = rows[0];
  return row ? { principal: { userId: row.user_id, admin: row.admin }, csrfSecret: row.csrf_secret } : null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.query('DELETE FROM web_session WHERE token_sha256 = $1', [sessionDigest(token)]);
}

/** `recio users add`: a new user; false when the name is taken. */
export async function addUser(db: Db, userId: string, password: string, admin: boolean): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO web_user (user_id, password_hash, admin) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING',
    [userId, await hashPassword(password), admin],
  );
  return rowCount === 1;
}

/** `recio users passwd`: a new password (re-enabling a disabled user) and every session ended; false when unknown. */
export async function setPassword(db: Db, userId: string, password: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE web_user SET password_hash = $2, password_changed_at = now(), disabled_at = NULL WHERE user_id = $1',
    [userId, await hashPassword(password)],
  );
  await db.query('DELETE FROM web_session WHERE user_id = $1', [userId]);
  return rowCount === 1;
}

/** `recio users disable`: no sign-in and every session ended; false when unknown. */
export async function disableUser(db: Db, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE web_user SET disabled_at = coalesce(disabled_at, now()) WHERE user_id = $1',
    [userId],
  );
  await db.query('DELETE FROM web_session WHERE user_id = $1', [userId]);
  return rowCount === 1;
}
