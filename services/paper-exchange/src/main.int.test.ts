import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '@recio/test-support';
import { describe, expect, it } from 'vitest';

// The built service as a process: start, serve, drain on SIGTERM; refuse a bad environment.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(env: Record<string, string>): {
  child: ReturnType<typeof spawn>;
  lines: string[];
  exit: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exit, stderr: () => err };
}

describe('paper-exchange main', () => {
  it('listens, logs JSON, answers /healthz and /readyz, and drains on SIGTERM with exit 0', async () => {
    const proc = run({ PORT: '0', PAPER_CLOCK: 'stepped', PAPER_START: '2025-07-16T20:30:00Z', LOG_LEVEL: 'info' });
    try {
      const listening = await until('the listening log line', () =>
        proc.lines
          .map((l) => JSON.parse(l) as { msg?: string; port?: number })
          .find((l) => l.msg === 'paper exchange listening'),
      );
      const origin = `http://127.0.0.1:${listening.port}`;
      expect(await fetch(`${origin}/healthz`).then((r) => r.json())).toEqual({ status: 'ok' });
      expect(await fetch(`${origin}/readyz`).then((r) => r.json())).toEqual({
        status: 'ready',
        now: '2025-07-16T20:30:00.000Z',
      });
      expect((await fetch(`${origin}/trade-api/v2/events/KXBTCD-25JUL1617`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exit).toBe(0);
      expect(proc.lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'drained')).toBe(true);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  it('refuses to start with a bad variable, naming it', async () => {
    const proc = run({ PORT: '0', PAPER_CLOCK: 'sometimes' });
    expect(await proc.exit).toBe(2);
    expect(proc.stderr()).toMatch(/invalid configuration: PAPER_CLOCK/);
  });
});
