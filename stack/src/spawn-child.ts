import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './line-splitter.js';

/** How one run of a child ended. */
export interface ChildExit {
  /** Exit code, or null when a signal ended it (negative errno when it never started). */
  readonly code: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (missing executable, missing cwd), if so. */
  readonly error?: Error;
}

/** One run of a child process. */
export interface ChildRun {
  readonly child: ChildProcess;
  /** Its pid, which is also its process group id; null when it could not be started. */
  readonly pid: number | null;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** Settles once the child has exited *and* its output has been read to the end. */
  readonly exited: Promise<ChildExit>;
}

/** What `spawnChild` needs. */
export interface SpawnChildOptions {
  readonly command: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Called with every line the child writes to stdout or stderr, the partial last one included. */
  readonly onLine: (line: string) => void;
}

/**
 * Spawns argv (no shell) as the leader of a new process group (`detached`): a Ctrl-C in the
 * terminal goes to the foreground group only, i.e. the supervisor, which then stops the children in
 * order, instead of every child getting SIGINT at once. The whole group is signalled (`-pid`) so
 * that a grandchild (an npm or shell wrapper's real process) goes down with its leader, and the group
 * is SIGKILLed when the leader exits so that no orphan holds a port into the next run.
 */
export function spawnChild(options: SpawnChildOptions): ChildRun {
  const [file, ...args] = options.command;
  if (file === undefined) throw new Error('empty command');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? null;
  for (const stream of [child.stdout, child.stderr]) {
    const splitter = new LineSplitter();
    stream?.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(options.onLine));
    stream?.on('end', () => splitter.end().forEach(options.onLine));
  }
  let error: Error | undefined;
  child.on('error', (err) => {
    error = err;
  });
  child.once('exit', () => {
    if (pid !== null) signalGroup(pid, 'SIGKILL');
  });
  // 'close' (not 'exit') comes after stdout and stderr ended, so every line, the last partial one
  // included, has been delivered before anyone hears that the child is gone.
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) =>
      resolve(error ? { code, signal, error } : { code, signal }),
    );
  });
  return { child, pid, startedAt: Date.now(), exited };
}

/**
 * Sends `signal` to the process group led by `pid` (falling back to the process alone if the group
 * is gone); false when nothing was there to signal.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** `signal SIGKILL`, `code 1`, or why it could not start: the words of the supervisor's log lines. */
export function describeExit(exit: ChildExit): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `signal ${exit.signal}`;
  return `code ${exit.code ?? 'unknown'}`;
}
