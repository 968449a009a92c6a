import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TokenFileError } from './errors.js';

/** Who a request acts for, from its bearer token. */
export interface Principal {
  userId: string;
  /** Admins may read other users' data (`?user=`); writes stay their own. */
  admin: boolean;
}

/** A user id as the platform spells it (the trade manager checks the same). */
export const USER_ID = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected a user id like user_0001');

/** One entry of the API tokens file. */
export const ApiTokenEntry = z.strictObject({
  user_id: USER_ID,
  // At least 128 bits, so a token cannot be guessed.
  token: z.string().regex(/^[0-9a-fA-F]{32,512}$/, 'expected at least 32 hex digits'),
  admin: z.boolean().optional(),
});
export type ApiTokenEntry = z.infer<typeof ApiTokenEntry>;

const ApiTokenFile = z.array(ApiTokenEntry);

// Tokens are looked up by their SHA-256: the Map compares digests, never the secret itself, so
// how long a lookup takes says nothing about how much of a guessed token was right.
const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The bearer tokens main-app accepts, keyed by their SHA-256 digest. */
export class ApiTokens {
  readonly #byDigest = new Map<string, Principal>();

  /** Throws TokenFileError on a token listed twice (which user would it be?). */
  constructor(entries: readonly ApiTokenEntry[]) {
    for (const [i, e] of entries.entries()) {
      const key = digest(e.token.toLowerCase());
      if (this.#byDigest.has(key)) throw new TokenFileError(`entry ${i} (${e.user_id}): token listed twice`);
      this.#byDigest.set(key, Object.freeze({ userId: e.user_id, admin: e.admin === true }));
    }
  }

  /** The principal of a presented token, or null when unknown. */
  lookup(token: string): Principal | null {
    // Hex compares case-insensitively; anything longer than a valid token is not one.
    if (token.length > 512) return null;
    return this.#byDigest.get(digest(token.toLowerCase())) ?? null;
  }

  /** How many tokens are known. */
  get size(): number {
    return this.#byDigest.size;
  }
}

/**
 * Reads and validates the tokens file: a JSON array of `{ user_id, token, admin? }`. Throws
 * TokenFileError naming the file and the bad entry.
 */
export function loadApiTokens(path: string): ApiTokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenFileError(`${path}: cannot read (${(err as { code?: string }).code ?? 'error'})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenFileError(`${path}: not JSON`, { cause: err });
  }
  const parsed = ApiTokenFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenFileError(
      `${path}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
      { cause: parsed.error },
    );
  }
  try {
    new ApiTokens(parsed.data); // a duplicate fails at load time, not at the first request
  } catch (err) {
    throw new TokenFileError(`${path}: ${(err as Error).message}`, { cause: err });
  }
  return parsed.data;
}
