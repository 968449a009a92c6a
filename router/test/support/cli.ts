import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (make test builds before testing). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Result of a finished CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `recio <args>` as a real process with the given environment additions. */
export function startCli(
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: { stdout: string; stderr: string } };
  child.output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (child.output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (child.output.stderr += d.toString()));
  return child;
}

/** Waits for a started CLI process to exit. */
export function exited(child: ReturnType<typeof startCli>): Promise<CliRun> {
  return new Promise((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void =>
      resolve({ code, signal, stdout: child.output.stdout, stderr: child.output.stderr });
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('close', done);
  });
}

/** Runs `recio <args>` to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return exited(startCli(args, env));
}
