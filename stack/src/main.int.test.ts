import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built entry point (`make dev` runs `node stack/dist/main.js`); `make test` builds first.
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

async function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('main (make dev)', () => {
  it('exits 2 naming the variable when the environment is malformed, before touching anything', async () => {
    expect(await run({ STACK_USERS: 'three', STACK_DEV_DIR: '/nonexistent/never-created' })).toEqual({
      code: 2,
      stderr: '[stack] invalid configuration: STACK_USERS: expected an integer from 1 to 1000, got "three"\n',
    });
    const { code, stderr } = await run({ REDIS_URL: 'localhost:6379' });
    expect(code).toBe(2);
    expect(stderr).toContain('REDIS_URL: must start with redis:// or rediss://');
  });
});
