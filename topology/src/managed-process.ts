import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { waitUntilReady } from './ready.js';

/** What to run and where its output goes. */
export interface ManagedProcessSpec {
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended to this file. */
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (the launcher runs as root and PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
}

/** How a process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Default wait for a signalled process to exit before it is SIGKILLed. */
const EXIT_TIMEOUT_MS = 20_000;

/**
 * A server process owned by this Node process: spawned attached (never detached), output to a
 * log file, stopped by a signal and awaited. Every live child is SIGKILLed when this process
 * exits, so a crashed test run does not leave servers behind.
 */
export class ManagedProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  #status: ExitStatus | undefined;

  constructor(readonly spec: ManagedProcessSpec) {}

  /** Pid of the running child, or undefined. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** Whether a child is running (spawned and not yet exited). */
  get running(): boolean {
    return this.#child !== undefined && this.#status === undefined;
  }

  /** Spawns the process; throws if it is already running. */
  start(): void {
    if (this.running) throw new Error(`${this.spec.command} is already running (pid ${this.#child?.pid})`);
    const fd = openSync(this.spec.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, [...this.spec.args], {
        stdio: ['ignore', fd, fd],
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        uid: this.spec.uid,
        gid: this.spec.gid,
      });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#status = undefined;
    trackChild(child);
    this.#exited = new Promise<ExitStatus>((resolve) => {
      const done = (status: ExitStatus): void => {
        untrackChild(child);
        if (this.#child === child) this.#status = status;
        resolve(status);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      // A failed spawn (ENOENT, EACCES) emits 'error' and no 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) done({ code: null, signal: null });
      });
    });
  }

  /** Resolves when the current child has exited (immediately when none runs). */
  waitForExit(): Promise<ExitStatus> {
    return this.#exited;
  }

  /**
   * Sends `signal` and waits for the exit; a process still running after `timeoutMs` is
   * SIGKILLed. Does nothing when no child runs.
   */
  async signal(signal: NodeJS.Signals, timeoutMs = EXIT_TIMEOUT_MS): Promise<void> {
    const child = this.#child;
    if (!this.running || child === undefined) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.#exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await this.#exited;
    }
  }

  /** Polls `probe` until it resolves true; see {@link waitUntilReady} for the errors. */
  waitUntilReady(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    return waitUntilReady({
      what,
      probe,
      timeoutMs,
      logTail: () => this.logTail(),
      exitDescription: () => {
        if (this.running) return undefined;
        const s = this.#status;
        return s?.signal ? `signal ${s.signal}` : `code ${String(s?.code)}`;
      },
    });
  }

  /** The last `lines` lines of the log file. */
  logTail(lines = 25): string {
    return readLogTail(this.spec.logPath, lines);
  }
}

/** The last `lines` lines of a log file ('' when it cannot be read). */
export function readLogTail(path: string, lines = 25): string {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    fd = openSync(path, 'r');
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const liveChildren = new Set<ChildProcess>();
const TERMINATING_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooksInstalled = false;

function killAllChildren(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * On a terminating signal: kill the children, then, unless the host has meanwhile installed a
 * handler of its own, die of the same signal as the default disposition would.
 */
function onTerminatingSignal(signal: NodeJS.Signals): void {
  killAllChildren();
  for (const s of TERMINATING_SIGNALS) process.removeListener(s, onTerminatingSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAllChildren);
  for (const s of TERMINATING_SIGNALS) {
    // Only where the host has no handler of its own: a service's SIGTERM drain stays in charge.
    if (process.listenerCount(s) === 0) process.once(s, onTerminatingSignal);
  }
}

function untrackChild(child: ChildProcess): void {
  liveChildren.delete(child);
}
