import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RunAs } from './postgres-data-dir.js';
import { sleep } from './wait.js';

/**
 * Background servers that outlive the process that starts them (`recio-services ensure`),
 * remembered by a pid file so a later `recio-services stop` can find them.
 */

/** What the pid file of a background server records. */
export interface DaemonRecord {
  pid: number;
  port: number;
  url: string;
  /**
   * Strings of which the process's command line contains at least one; checked before a recorded
   * pid is signalled, because pids get reused (after a reboot, by another server).
   */
  cmdlineMarkers: string[];
}

/** Spawns a detached process (own session, no stdin, output appended to `logPath`) and lets this process exit without it. */
export function spawnDaemon(spec: {
  command: string;
  args: string[];
  logPath: string;
  cwd: string;
  runAs?: RunAs | undefined;
}): number {
  const fd = openSync(spec.logPath, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: spec.cwd,
      uid: spec.runAs?.uid,
      gid: spec.runAs?.gid,
    });
    child.on('error', () => undefined); // a failed spawn shows as a dead pid in the readiness wait
    child.unref();
    if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function readDaemonRecord(path: string): DaemonRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<DaemonRecord>;
    if (
      typeof r.pid === 'number' &&
      typeof r.port === 'number' &&
      typeof r.url === 'string' &&
      Array.isArray(r.cmdlineMarkers)
    ) {
      return r as DaemonRecord;
    }
  } catch {
    // missing or unreadable: no record
  }
  return undefined;
}

export function writeDaemonRecord(path: string, record: DaemonRecord): void {
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}

export function removeDaemonRecord(path: string): void {
  rmSync(path, { force: true });
}

/** Whether `pid` is a live (not zombie) process; with markers, also whether its command line contains one. */
export function isDaemonAlive(pid: number, cmdlineMarkers?: readonly string[]): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const info = processInfo(pid);
  if (info === undefined) return false;
  // A zombie has exited and only awaits its parent's wait().
  if (info.state.startsWith('Z')) return false;
  return cmdlineMarkers === undefined || cmdlineMarkers.some((m) => info.cmdline.includes(m));
}

/** State letter and command line of a process: /proc on Linux, `ps` elsewhere. */
function processInfo(pid: number): { state: string; cmdline: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (comm) S …"
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { state: stat.slice(stat.lastIndexOf(')') + 2), cmdline };
  } catch {
    try {
      const out = execFileSync('ps', ['-o', 'stat=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
      const space = out.indexOf(' ');
      return out === '' ? undefined : { state: out.slice(0, space), cmdline: out.slice(space + 1) };
    } catch {
      return undefined;
    }
  }
}

/** Sends `signal`, waits up to `timeoutMs` for the exit, then SIGKILLs. */
export async function stopDaemon(pid: number, signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (isDaemonAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(100);
  }
}
