import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { databaseServices, redisServices, SERVICES, type ServiceSpec } from '@recio/platform';
import { InvalidOptionError, StackError } from './errors.js';

/** What `ensureDevAccounts` needs. */
export interface DevAccountsOptions {
  /** Directory of the key files and the JSON files (created, mode 0700). */
  dir: string;
  /** User ids, e.g. `user_0001`. */
  users: readonly string[];
  /** Starting balance of each paper account, in cents. */
  balanceCents: number;
  /** Admins who sign in from a browser (no exchange account, no API token): the page's admin view. */
  webAdmins?: readonly string[];
}

/** One entry of `paper-accounts.json` (read by the paper exchange through PAPER_ACCOUNTS_FILE). */
export interface PaperAccountEntry {
  key_id: string;
  public_key_pem_file: string;
  balance_cents: number;
}

/** One entry of `exchange-credentials.json` (read by services through EXCHANGE_CREDENTIALS_FILE). */
export interface ExchangeCredentialEntry {
  user_id: string;
  key_id: string;
  private_key_pem_file: string;
}

/** One entry of `api-tokens.json`: a user's token, for the trader and their scripts. */
export interface ApiTokenEntry {
  user_id: string;
  token: string;
}

/** Where `ensureDevAccounts` put things. */
export interface DevAccounts {
  paperAccountsFile: string;
  exchangeCredentialsFile: string;
  /** The tokens in the clear (`api-tokens.json`): what a trader sends. */
  apiTokensFile: string;
  /** Their SHA-256 digests (`api-token-digests.json`): what main-app reads (API_TOKENS_FILE). */
  apiTokenDigestsFile: string;
  tokens: ApiTokenEntry[];
  /** Each user's browser password (`web-users.json`: what main-app's web-users step reads). */
  webUsersFile: string;
  webUsers: { user_id: string; password: string; admin: boolean }[];
}

/** A key file or a tokens file that exists but cannot be used. */
export class DevAccountsError extends StackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEV_ACCOUNTS', message, options);
  }
}

const USER = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The paper exchange's key id of a user. */
export function paperKeyId(user: string): string {
  return `paper-${user}`;
}

/**
 * Makes sure each user has an RSA 2048 key pair and an API token in `dir`, generated on the first
 * run and kept afterwards (the private key is never replaced once it exists; the public key is
 * always derived from it), and (re)writes the three JSON files that point at them. Every file is
 * mode 0600. Returns the file paths and the tokens.
 */
export async function ensureDevAccounts(options: DevAccountsOptions): Promise<DevAccounts> {
  const dir = resolve(options.dir);
  for (const user of options.users) {
    if (!USER.test(user))
      throw new InvalidOptionError('users', `expected a lower-case id like user_0001, got ${JSON.stringify(user)}`);
  }
  if (new Set(options.users).size !== options.users.length) throw new InvalidOptionError('users', 'duplicate user id');
  if (!Number.isSafeInteger(options.balanceCents) || options.balanceCents < 0) {
    throw new InvalidOptionError(
      'balanceCents',
      `expected a non-negative integer, got ${String(options.balanceCents)}`,
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const paper: PaperAccountEntry[] = [];
  const credentials: ExchangeCredentialEntry[] = [];
  for (const user of options.users) {
    const { privateFile, publicFile } = await ensureKeyPair(dir, user);
    paper.push({ key_id: paperKeyId(user), public_key_pem_file: publicFile, balance_cents: options.balanceCents });
    credentials.push({ user_id: user, key_id: paperKeyId(user), private_key_pem_file: privateFile });
  }

  const apiTokensFile = join(dir, 'api-tokens.json');
  const known = await readTokens(apiTokensFile);
  const tokens = options.users.map((user) => ({
    user_id: user,
    token: known.get(user) ?? randomBytes(32).toString('hex'),
  }));

  const paperAccountsFile = join(dir, 'paper-accounts.json');
  const exchangeCredentialsFile = join(dir, 'exchange-credentials.json');
  await writePrivate(paperAccountsFile, `${JSON.stringify(paper, null, 2)}\n`);
  await writePrivate(exchangeCredentialsFile, `${JSON.stringify(credentials, null, 2)}\n`);
  await writePrivate(apiTokensFile, `${JSON.stringify(tokens, null, 2)}\n`);
  const apiTokenDigestsFile = join(dir, 'api-token-digests.json');
  const digests = tokens.map((t) => ({
    user_id: t.user_id,
    token_sha256: createHash('sha256').update(t.token, 'utf8').digest('hex'),
  }));
  await writePrivate(apiTokenDigestsFile, `${JSON.stringify(digests, null, 2)}\n`);
  // Browser sign-in: a password per user, made once and kept like the tokens.
  const webUsersFile = join(dir, 'web-users.json');
  const knownPasswords = await readPasswords(webUsersFile);
  const admins = options.webAdmins ?? [];
  for (const admin of admins) {
    if (!USER.test(admin) || options.users.includes(admin))
      throw new InvalidOptionError(
        'webAdmins',
        `expected a user id that is not a trader's, got ${JSON.stringify(admin)}`,
      );
  }
  const webUsers = [...options.users, ...admins].map((user) => ({
    user_id: user,
    password: knownPasswords.get(user) ?? randomBytes(15).toString('base64url'),
    admin: admins.includes(user),
  }));
  await writePrivate(webUsersFile, `${JSON.stringify(webUsers, null, 2)}\n`);
  return {
    paperAccountsFile,
    exchangeCredentialsFile,
    apiTokensFile,
    apiTokenDigestsFile,
    tokens,
    webUsersFile,
    webUsers,
  };
}

async function ensureKeyPair(dir: string, user: string): Promise<{ privateFile: string; publicFile: string }> {
  const privateFile = join(dir, `${user}.key.pem`);
  const publicFile = join(dir, `${user}.pub.pem`);
  let privatePem = await readIfExists(privateFile);
  if (privatePem === undefined) {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    // Written aside, then linked into place: link() refuses to replace an existing file, so two
    // runs racing on a fresh directory end up sharing the one key that landed first.
    const tmp = `${privateFile}.${process.pid}.tmp`;
    await writeFile(tmp, privateKey, { mode: 0o600 });
    try {
      await link(tmp, privateFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp);
    }
    privatePem = await readFile(privateFile, 'utf8');
  }
  await chmod(privateFile, 0o600);
  let publicPem: string;
  try {
    publicPem = createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
  } catch (err) {
    throw new DevAccountsError(`${privateFile} is not a readable private key; delete it to generate a new one`, {
      cause: err,
    });
  }
  if ((await readIfExists(publicFile)) !== publicPem) await writePrivate(publicFile, publicPem);
  await chmod(publicFile, 0o600);
  return { privateFile, publicFile };
}

async function readTokens(file: string): Promise<Map<string, string>> {
  const text = await readIfExists(file);
  if (text === undefined) return new Map();
  try {
    const entries = JSON.parse(text) as ApiTokenEntry[];
    if (!Array.isArray(entries)) throw new Error('not an array');
    return new Map(
      entries
        .filter((e) => typeof e.user_id === 'string' && /^[0-9a-f]{64}$/.test(e.token))
        .map((e) => [e.user_id, e.token]),
    );
  } catch (err) {
    throw new DevAccountsError(`${file} is not a JSON array of { user_id, token }; fix or delete it`, { cause: err });
  }
}

async function readPasswords(file: string): Promise<Map<string, string>> {
  const text = await readIfExists(file);
  if (text === undefined) return new Map();
  try {
    const entries = JSON.parse(text) as { user_id: string; password: string }[];
    if (!Array.isArray(entries)) throw new Error('not an array');
    return new Map(
      entries
        .filter((e) => typeof e.user_id === 'string' && typeof e.password === 'string' && e.password.length >= 12)
        .map((e) => [e.user_id, e.password]),
    );
  } catch (err) {
    throw new DevAccountsError(`${file} is not a JSON array of { user_id, password }; fix or delete it`, {
      cause: err,
    });
  }
}

/** Passwords of the local platform's service users (PostgreSQL roles, Redis ACL users). */
export interface ServicePasswords {
  /** One file per service, named after it: what the database-roles and redis-users steps read. */
  dir: string;
  /** Service name → password. */
  passwords: ReadonlyMap<string, string>;
}

/**
 * A random password per service that connects to PostgreSQL, made once under `dir` and kept: the
 * database-roles step sets them on the roles, and each service's DATABASE_URL carries its own.
 */
export function ensureDatabaseRolePasswords(
  dir: string,
  services: readonly ServiceSpec[] = SERVICES,
): Promise<ServicePasswords> {
  return ensureServicePasswords(dir, databaseServices(services));
}

/**
 * A random password per service that talks to Redis, made once under `dir` and kept: the
 * redis-users step gives each its ACL user, and each service's REDIS_PASSWORD carries its own.
 */
export function ensureRedisUserPasswords(
  dir: string,
  services: readonly ServiceSpec[] = SERVICES,
): Promise<ServicePasswords> {
  return ensureServicePasswords(dir, redisServices(services));
}

// One password file per service (dir mode 0700, files 0600), made on the first run and kept.
async function ensureServicePasswords(dir: string, services: readonly ServiceSpec[]): Promise<ServicePasswords> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwords = new Map<string, string>();
  for (const s of services) {
    const file = join(dir, s.name);
    let password = (await readIfExists(file))?.trim();
    if (!password) {
      password = randomBytes(24).toString('hex');
      await writePrivate(file, `${password}\n`);
    }
    passwords.set(s.name, password);
  }
  return { dir, passwords };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// Write to a temporary file and rename over, so a reader never sees a half-written file.
async function writePrivate(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600); // writeFile's mode applies only when it creates the file (a stale tmp)
  await rename(tmp, file);
}
