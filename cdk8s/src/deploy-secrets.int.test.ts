/**
 * `cdk8s/scripts/secrets.sh` (run by `make deploy`) creates every Secret the charts reference,
 * with every key they read, once: a second run rotates nothing. No Kubernetes API server runs on
 * these machines, so kubectl is cdk8s/test/kubectl-stand-in.sh, which keeps Secrets as folders.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { databaseRoleName, databaseServices, SERVICES } from '@recio/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartObjects, secretReferences } from '../test/chart-objects.js';
import { databaseRoleSecret } from './postgres.js';
import { REDIS_ACL_SECRET, REDIS_EXPORTER_USER, redisAclSecretKeys } from './redis-acl.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Secrets an operator makes, not the script: CloudNativePG's owner URL, the Ingress certificate. */
const NOT_THE_SCRIPTS = new Set(['postgres-app', 'recio-tls']);

describe.each(['kind', 'cloud'] as const)('secrets.sh (%s)', (profile) => {
  let work: string;
  let state: string;
  const namespace = `t-${randomBytes(4).toString('hex')}`;

  const secretsSh = () =>
    run('sh', [join(ROOT, 'cdk8s/scripts/secrets.sh')], {
      env: {
        PATH: `${join(work, 'bin')}:${process.env.PATH}`,
        HOME: work,
        ENV: profile,
        NAMESPACE: namespace,
        KUBE_STAND_IN_STATE: state,
      },
    });
  const secretDir = (name: string) => join(state, namespace, name);
  const calls = async () =>
    (await readFile(join(state, 'calls'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'recio-secrets-'));
    state = join(work, 'state');
    await mkdir(join(work, 'bin'), { recursive: true });
    await mkdir(state);
    await copyFile(join(ROOT, 'cdk8s/test/kubectl-stand-in.sh'), join(work, 'bin', 'kubectl'));
    await run('chmod', ['+x', join(work, 'bin', 'kubectl')]);
    await secretsSh();
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    // deploy-accounts keeps the users' keys on the operator's machine, under .recio/deploy/<namespace>
    await rm(join(ROOT, '.recio', 'deploy', namespace), { recursive: true, force: true });
  });

  it('creates every Secret the charts reference, with every key they read', async () => {
    const missing: string[] = [];
    for (const [name, keys] of secretReferences(chartObjects({ profile, redisMode: 'sentinel' }))) {
      if (NOT_THE_SCRIPTS.has(name)) continue;
      const held = new Set(await readdir(secretDir(name)).catch(() => [] as string[]));
      if (held.size === 0) missing.push(name);
      for (const k of keys) if (!held.has(k)) missing.push(`${name}/${k}`);
    }
    expect(missing).toEqual([]);
    expect(secretReferences(chartObjects({ profile, redisMode: 'sentinel' })).size).toBeGreaterThan(
      databaseServices(SERVICES).length,
    );
  });

  it('gives the paper exchange public keys only, and main-app token digests only', async () => {
    const contents = async (name: string) => {
      const files = (await readdir(secretDir(name))).filter((f) => !f.startsWith('.'));
      return new Map(
        await Promise.all(files.map(async (f) => [f, await readFile(join(secretDir(name), f), 'utf8')] as const)),
      );
    };
    const paper = await contents('recio-paper-accounts');
    for (const entry of JSON.parse(paper.get('paper-accounts.json')!) as { public_key_pem_file: string }[])
      expect(paper.get(entry.public_key_pem_file)).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    for (const [file, text] of paper) expect(text, file).not.toMatch(/PRIVATE KEY/);
    const exchange = await contents('recio-exchange');
    for (const entry of JSON.parse(exchange.get('credentials.json')!) as { private_key_pem_file: string }[])
      expect(exchange.get(entry.private_key_pem_file)).toMatch(/PRIVATE KEY/);
    const tokens = JSON.parse((await contents('recio-app')).get('api-tokens.json')!) as object[];
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(Object.keys(t).sort()).toEqual(['token_sha256', 'user_id']);
  });

  it("gives each service's PostgreSQL role a basic-auth Secret with the role as username", async () => {
    for (const s of databaseServices(SERVICES)) {
      const dir = secretDir(databaseRoleSecret(s.name));
      expect(await readFile(join(dir, '.type'), 'utf8')).toBe('kubernetes.io/basic-auth');
      expect(await readFile(join(dir, 'username'), 'utf8')).toBe(databaseRoleName(s.name));
      expect(await readFile(join(dir, 'password'), 'utf8')).toMatch(/^[0-9a-f]{48}$/);
    }
    const passwords = await Promise.all(
      databaseServices(SERVICES).map((s) => readFile(join(secretDir(databaseRoleSecret(s.name)), 'password'), 'utf8')),
    );
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it('creates nothing and rotates nothing when run again', async () => {
    const before = await calls();
    const password = await readFile(join(secretDir(databaseRoleSecret('relay')), 'password'), 'utf8');
    await secretsSh();
    expect(await calls()).toEqual(before);
    expect(await readFile(join(secretDir(databaseRoleSecret('relay')), 'password'), 'utf8')).toBe(password);
  });

  it('adds a Redis user the charts gained to an existing ACL Secret, and changes no other password (regression: an older deploy had no exporter key)', async () => {
    const dir = secretDir(REDIS_ACL_SECRET);
    const read = async () =>
      Object.fromEntries(
        await Promise.all(
          redisAclSecretKeys().map(async (k) => [k, await readFile(join(dir, k), 'utf8').catch(() => '')]),
        ),
      );
    // the Secret as a deploy before the exporter made it
    await unlink(join(dir, REDIS_EXPORTER_USER));
    const before = await read();
    const calls0 = await calls();
    await secretsSh();
    const after = await read();
    expect(after[REDIS_EXPORTER_USER]).toMatch(/^[0-9a-f]{48}$/);
    expect({ ...after, [REDIS_EXPORTER_USER]: '' }).toEqual(before);
    expect((await calls()).slice(calls0.length)).toEqual([
      `patch ${namespace}/${REDIS_ACL_SECRET} ${REDIS_EXPORTER_USER}`,
    ]);
  });
});
