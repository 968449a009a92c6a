import { constants, createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICES } from '@recio/platform';
import { ensureDatabaseRolePasswords, ensureDevAccounts, ensureRedisUserPasswords } from './dev-accounts.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recio-dev-accounts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;
const json = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, 'utf8'));

describe('ensureDevAccounts', () => {
  it('writes a key pair per user, the three JSON files, all mode 0600, and keys that sign and verify', async () => {
    const out = await ensureDevAccounts({ dir, users: ['user_0001', 'user_0002'], balanceCents: 1_000_000 });
    expect(await json(out.paperAccountsFile)).toEqual([
      { key_id: 'paper-user_0001', public_key_pem_file: join(dir, 'user_0001.pub.pem'), balance_cents: 1_000_000 },
      { key_id: 'paper-user_0002', public_key_pem_file: join(dir, 'user_0002.pub.pem'), balance_cents: 1_000_000 },
    ]);
    expect(await json(out.exchangeCredentialsFile)).toEqual([
      { user_id: 'user_0001', key_id: 'paper-user_0001', private_key_pem_file: join(dir, 'user_0001.key.pem') },
      { user_id: 'user_0002', key_id: 'paper-user_0002', private_key_pem_file: join(dir, 'user_0002.key.pem') },
    ]);
    expect(await json(out.apiTokensFile)).toEqual(out.tokens);
    expect(out.tokens.map((t) => t.user_id)).toEqual(['user_0001', 'user_0002']);
    for (const t of out.tokens) expect(t.token).toMatch(/^[0-9a-f]{64}$/);
    expect(out.tokens[0]!.token).not.toBe(out.tokens[1]!.token);
    // main-app reads only the digests: sha256 of each token, nothing in the clear
    const digests = (await json(out.apiTokenDigestsFile)) as { user_id: string; token_sha256: string }[];
    expect(digests).toEqual(
      out.tokens.map((t) => ({ user_id: t.user_id, token_sha256: createHash('sha256').update(t.token).digest('hex') })),
    );
    expect(JSON.stringify(digests)).not.toContain(out.tokens[0]!.token);

    for (const f of ['user_0001.key.pem', 'user_0001.pub.pem', 'user_0002.key.pem', 'user_0002.pub.pem']) {
      expect(await mode(join(dir, f))).toBe(0o600);
    }
    for (const f of [out.paperAccountsFile, out.exchangeCredentialsFile, out.apiTokensFile, out.apiTokenDigestsFile])
      expect(await mode(f)).toBe(0o600);

    // RSA 2048 and the pair belongs together: what the private key signs (RSA-PSS, as the exchange
    // API's signatures are), the public key verifies.
    const privateKey = createPrivateKey(await readFile(join(dir, 'user_0001.key.pem')));
    const publicKey = createPublicKey(await readFile(join(dir, 'user_0001.pub.pem')));
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    const signature = sign('sha256', Buffer.from('1700000000000GET/trade-api/v2/portfolio/balance'), {
      key: privateKey,
      ...pss,
    });
    expect(
      verify(
        'sha256',
        Buffer.from('1700000000000GET/trade-api/v2/portfolio/balance'),
        { key: publicKey, ...pss },
        signature,
      ),
    ).toBe(true);
  });

  it('is idempotent: a second run keeps the keys and tokens, adds only what is new, and updates the balance', async () => {
    const first = await ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 500 });
    const key = await readFile(join(dir, 'user_0001.key.pem'), 'utf8');
    const pub = await readFile(join(dir, 'user_0001.pub.pem'), 'utf8');

    const second = await ensureDevAccounts({ dir, users: ['user_0001', 'user_0002'], balanceCents: 700 });
    expect(await readFile(join(dir, 'user_0001.key.pem'), 'utf8')).toBe(key);
    expect(await readFile(join(dir, 'user_0001.pub.pem'), 'utf8')).toBe(pub);
    expect(second.tokens[0]).toEqual(first.tokens[0]);
    expect(second.tokens[1]!.user_id).toBe('user_0002');
    expect(await readFile(join(dir, 'user_0002.key.pem'), 'utf8')).not.toBe(key);
    expect((await json(second.paperAccountsFile)) as unknown[]).toEqual([
      expect.objectContaining({ key_id: 'paper-user_0001', balance_cents: 700 }),
      expect.objectContaining({ key_id: 'paper-user_0002', balance_cents: 700 }),
    ]);

    const third = await ensureDevAccounts({ dir, users: ['user_0001', 'user_0002'], balanceCents: 700 });
    expect(third.tokens).toEqual(second.tokens);
    // Browser passwords: one per user, long enough for main-app, kept across runs, the file 0600.
    expect(second.webUsers[0]).toEqual(first.webUsers[0]);
    expect(third.webUsers).toEqual(second.webUsers);
    expect(third.webUsers.map((u) => u.user_id)).toEqual(['user_0001', 'user_0002']);
    expect(third.webUsers.every((u) => !u.admin)).toBe(true);
    for (const u of third.webUsers) expect(u.password.length).toBeGreaterThanOrEqual(12);
    expect(await json(third.webUsersFile)).toEqual(third.webUsers);
    expect((await stat(third.webUsersFile)).mode & 0o777).toBe(0o600);
    const withAdmin = await ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 700, webAdmins: ['ops'] });
    expect(withAdmin.webUsers.map((u) => [u.user_id, u.admin])).toEqual([
      ['user_0001', false],
      ['ops', true],
    ]);
    expect(withAdmin.tokens.map((t) => t.user_id)).toEqual(['user_0001']);
    await expect(
      ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 700, webAdmins: ['user_0001'] }),
    ).rejects.toThrow(/webAdmins/);
    expect(third.webUsers[0]!.password).not.toBe(third.webUsers[1]!.password);
  });

  it('re-derives a deleted public key from the kept private key and tightens a loosened mode back to 0600', async () => {
    await ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 0 });
    const key = await readFile(join(dir, 'user_0001.key.pem'), 'utf8');
    const pub = await readFile(join(dir, 'user_0001.pub.pem'), 'utf8');
    await unlink(join(dir, 'user_0001.pub.pem'));
    await chmod(join(dir, 'user_0001.key.pem'), 0o644);

    await ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 0 });
    expect(await readFile(join(dir, 'user_0001.key.pem'), 'utf8')).toBe(key);
    expect(await readFile(join(dir, 'user_0001.pub.pem'), 'utf8')).toBe(pub);
    expect(await mode(join(dir, 'user_0001.key.pem'))).toBe(0o600);
    expect(await mode(join(dir, 'user_0001.pub.pem'))).toBe(0o600);
  });

  it('rejects user ids that could escape the directory, and bad balances, naming the option', async () => {
    await expect(ensureDevAccounts({ dir, users: ['../etc'], balanceCents: 0 })).rejects.toThrow(/^option users: /);
    await expect(ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: -1 })).rejects.toThrow(
      /^option balanceCents: /,
    );
    await expect(ensureDevAccounts({ dir, users: ['user_0001', 'user_0001'], balanceCents: 0 })).rejects.toThrow(
      /duplicate/,
    );
  });

  it('refuses a private key file that is not a key rather than replacing it', async () => {
    await ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 0 });
    await writeFile(join(dir, 'user_0001.key.pem'), 'not a key');
    await expect(ensureDevAccounts({ dir, users: ['user_0001'], balanceCents: 0 })).rejects.toMatchObject({
      code: 'DEV_ACCOUNTS',
    });
    expect(await readFile(join(dir, 'user_0001.key.pem'), 'utf8')).toBe('not a key');
  });
});

describe('ensureDatabaseRolePasswords', () => {
  it('makes one private password file per database service once, and keeps them', async () => {
    const roles = join(dir, 'roles');
    const first = await ensureDatabaseRolePasswords(roles);
    expect([...first.passwords.keys()]).toEqual(
      SERVICES.filter((s) => s.env.includes('DATABASE_URL')).map((s) => s.name),
    );
    expect(first.passwords.get('trade-manager')).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(first.passwords.values()).size).toBe(first.passwords.size);
    expect(await mode(join(roles, 'trade-manager'))).toBe(0o600);
    expect(await mode(roles)).toBe(0o700);
    expect(await readFile(join(roles, 'relay'), 'utf8')).toBe(`${first.passwords.get('relay')}\n`);

    await unlink(join(roles, 'relay'));
    const second = await ensureDatabaseRolePasswords(roles);
    expect(second.passwords.get('trade-manager')).toBe(first.passwords.get('trade-manager'));
    expect(second.passwords.get('relay')).toMatch(/^[0-9a-f]{48}$/);
    expect(second.passwords.get('relay')).not.toBe(first.passwords.get('relay'));
  });
});

describe('ensureRedisUserPasswords', () => {
  it('makes one password per service that talks to Redis (not the paper exchange), apart from the roles', async () => {
    const users = await ensureRedisUserPasswords(join(dir, 'redis-users'));
    expect([...users.passwords.keys()]).toEqual(
      SERVICES.filter((s) => s.env.includes('REDIS_PASSWORD')).map((s) => s.name),
    );
    expect(users.passwords.has('paper-exchange')).toBe(false);
    expect(await mode(join(dir, 'redis-users', 'relay'))).toBe(0o600);
    const roles = await ensureDatabaseRolePasswords(join(dir, 'roles-2'));
    expect(users.passwords.get('relay')).not.toBe(roles.passwords.get('relay'));
  });
});
