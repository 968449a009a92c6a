import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs a TypeScript script as its own process (`node --import tsx`) with `env` over this one's,
 * resolved once it writes `ready` to stdout: for tests that stop and kill it with real signals.
 */
export function startScript(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`${script} exited early (${code})`)));
  });
}

/** Sends `signal` and resolves once the process exited (at once if it already had). */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
