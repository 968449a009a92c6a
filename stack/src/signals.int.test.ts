import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { freePort, until } from '@recio/test-support';
import { alive, fixture } from '../test/support.js';

describe('Ctrl-C in a terminal', () => {
  it('reaches only the supervisor, which stops its children in order (dependants first) and exits 0', async () => {
    // The supervisor CLI leads its own process group, like a shell's foreground job; a terminal's
    // Ctrl-C sends SIGINT to that whole group. The children lead groups of their own, so only
    // the supervisor gets it, and they get the supervisor's SIGTERM instead.
    const cli = spawn(process.execPath, ['--import', 'tsx', fixture('supervise.ts')], {
      env: { ...process.env, API_PORT: String(await freePort()), WEB_PORT: String(await freePort()) },
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(cli, 'exit');
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await until('the supervisor to start', () => out.includes('all ready'), { timeoutMs: 60_000 });
      const pids = /all ready (\d+) (\d+)/.exec(out)!.slice(1).map(Number);
      process.kill(-cli.pid!, 'SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      const lines = out.split('\n');
      const at = (line: string): number => lines.indexOf(line);
      expect(at('[stack] SIGINT: stopping (SIGINT again kills everything at once)')).toBeGreaterThan(-1);
      // web depends on api: web is told and gone before api is told.
      expect(at('[web]   web stopping')).toBeGreaterThan(-1);
      expect(at('[stack] web stopped (code 0)')).toBeGreaterThan(at('[web]   web stopping'));
      expect(at('[api]   api stopping')).toBeGreaterThan(at('[stack] web stopped (code 0)'));
      expect(at('[stack] api stopped (code 0)')).toBeGreaterThan(at('[api]   api stopping'));
      expect(out).not.toContain('SIGINT)'); // no child was ended by the terminal's SIGINT
      for (const pid of pids) expect(alive(pid)).toBe(false);
    } finally {
      if (cli.exitCode === null) process.kill(-cli.pid!, 'SIGKILL');
    }
  });
});
