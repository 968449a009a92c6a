import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
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

/** The SHA-256 of a token as the tokens file stores it: hex digits, lower-cased first. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token.toLowerCase(), 'utf8').digest('hex');
}

/**
 * One entry of the API tokens file: the token's digest, never the token (the file, its Secret and
 * a backup of either let no one in). `printf %s "$TOKEN" | sha256sum` makes one.
 */
export const ApiTokenEntry = z.strictObject({
  user_id: USER_ID,
  token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the token as 64 lower-case hex digits'),
  admin: z.boolean().optional(),
});
export type ApiTokenEntry = z.infer<typeof ApiTokenEntry>;

const ApiTokenFileShape = z.array(ApiTokenEntry);

/** Finds the principal of a presented bearer token (authenticate's view of the tokens). */
export interface TokenLookup {
  lookup(token: string): Principal | null;
}

// A token is at least 128 bits of hex (32 digits) and at most 512 digits: anything else is no token.
const TOKEN_SHAPE = /^[0-9a-fA-F]{32,512}$/;

/** The bearer tokens main-app accepts, keyed by their SHA-256 digest. */
export class ApiTokens implements TokenLookup {
  readonly #byDigest = new Map<string, Principal>();

  /** Throws TokenFileError on a digest listed twice (which user would it be?). */
  constructor(entries: readonly ApiTokenEntry[]) {
    for (const [i, e] of entries.entries()) {
      if (this.#byDigest.has(e.token_sha256)) throw new TokenFileError(`entry ${i} (${e.user_id}): token listed twice`);
      this.#byDigest.set(e.token_sha256, Object.freeze({ userId: e.user_id, admin: e.admin === true }));
    }
  }

  /**
   * The principal of a presented token, or null when unknown. The Map compares digests, never the
   * secret itself, so how long a lookup takes says nothing about how much of a guess was right.
   */
  lookup(token: string): Principal | null {
    if (!TOKEN_SHAPE.test(token)) return null;
    return this.#byDigest.get(tokenDigest(token)) ?? null;
  }

  /** How many tokens are known. */
  get size(): number {
    return this.#byDigest.size;
  }
}

/** Options of {@link ApiTokenFile}. */
export interface ApiTokenFileOptions {
  /** How often the file is looked at for a change (a revoked or added token). */
  reloadMs: number;
  logger: Logger;
  registry: Registry;
}

/**
 * The tokens of a file, kept current while main-app runs: the file is checked every `reloadMs`
 * (a mounted Secret changes by a symlink swap, which a stat sees) against the stat taken just before
 * the tokens in force were read, and, once it differs, read again (a change made between the first
 * read and the first check is seen too, which a watcher that takes its own first stat would miss);
 * a token removed from it is refused from then on, without a restart. A file that stops being valid
 * changes nothing: the last good tokens stay, the error is logged and counted
 * (`recio_api_token_reload_errors_total`), and the next valid version is taken.
 */
export class ApiTokenFile implements TokenLookup {
  readonly #path: string;
  readonly #o: ApiTokenFileOptions;
  readonly #reloadErrors: Counter;
  readonly #count: Gauge;
  readonly #timer: NodeJS.Timeout;
  #tokens: ApiTokens;
  /** The file as it was just before the tokens in force (or the last refused version) were read. */
  #seen: FileVersion | null;

  /** Throws TokenFileError when the file is not valid now. */
  constructor(path: string, options: ApiTokenFileOptions) {
    this.#path = path;
    this.#o = options;
    this.#seen = versionOf(path);
    this.#tokens = new ApiTokens(loadApiTokens(path));
    this.#reloadErrors = new Counter({
      name: 'recio_api_token_reload_errors_total',
      help: 'Reloads of the API tokens file that failed (the previous tokens stay in force)',
      registers: [options.registry],
    });
    this.#count = new Gauge({
      name: 'recio_api_tokens',
      help: 'API tokens in force',
      registers: [options.registry],
    });
    this.#count.set(this.#tokens.size);
    this.#timer = setInterval(() => this.checkNow(), options.reloadMs).unref();
  }

  lookup(token: string): Principal | null {
    return this.#tokens.lookup(token);
  }

  get size(): number {
    return this.#tokens.size;
  }

  /** Reads the file now; false (and the old tokens kept) when it is not valid. */
  reload(): boolean {
    try {
      this.#tokens = new ApiTokens(loadApiTokens(this.#path));
      this.#count.set(this.#tokens.size);
      this.#o.logger.info({ tokens: this.#tokens.size }, 'API tokens reloaded');
      return true;
    } catch (err) {
      this.#reloadErrors.inc();
      this.#o.logger.error({ err }, 'API tokens file not reloaded; the previous tokens stay in force');
      return false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** Reads the file again if it changed since the tokens in force were read (what the timer does). */
  checkNow(): void {
    const now = versionOf(this.#path);
    if (sameVersion(now, this.#seen)) return;
    this.#seen = now; // taken before the read: a change during the read is seen at the next check
    this.reload();
  }
}

/** What tells one version of a file from the next: a rename (Secret update) changes the inode. */
interface FileVersion {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

function versionOf(path: string): FileVersion | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return null; // gone for now (mid-swap): reload reports it, the old tokens stay
  }
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function sameVersion(a: FileVersion | null, b: FileVersion | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * Reads and validates the tokens file: a JSON array of `{ user_id, token_sha256, admin? }`. Throws
 * TokenFileError naming the file and the bad entry; a token in the clear is refused, saying how to
 * store its digest instead.
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
  const clear = Array.isArray(json) ? json.findIndex((e) => typeof e === 'object' && e !== null && 'token' in e) : -1;
  if (clear !== -1)
    throw new TokenFileError(
      `${path}: ${clear}: holds a token in the clear; store its digest as token_sha256 (printf %s "$TOKEN" | sha256sum)`,
    );
  const parsed = ApiTokenFileShape.safeParse(json);
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
