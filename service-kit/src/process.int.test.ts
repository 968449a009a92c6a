import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, freePort, createTestDatabase, until, type TestDatabase } from '@recio/test-support';

const FIXTURE = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'kit-service.ts');

function start(env: Record<string, string>): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return { child, out: () => out, err: () => err };
}

describe('a service process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('drains on SIGTERM: the request under way is answered, then it exits 0', async () => {
    const port = await freePort();
    const { child, out } = start({ DATABASE_URL: db.url, REDIS_URL, PORT: String(port), DRAIN_DEADLINE_MS: '5000' });
    try {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status, {
          timeout: 30_000,
        })
        .toBe(200);
      const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.json());
      // The request is in the handler (which then holds it until the drain has begun).
      await until('the /slow request under way', () => out().includes('"msg":"slow request under way"'));
      child.kill('SIGTERM');
      expect(await slow).toEqual({ done: true });
      const [code] = await once(child, 'exit');
      expect(code, out()).toBe(0);
      expect(out()).toMatch(/"msg":"draining"/);
      expect(out()).toMatch(/"msg":"stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a bad environment at start with exit 2 and the variable named', async () => {
    const { child, err } = start({ DATABASE_URL: db.url, REDIS_URL, PORT: 'eighty' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err()).toMatch(/^INVALID_CONFIG: PORT: /);
  });
});
