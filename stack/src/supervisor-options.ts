import { InvalidOptionError } from './errors.js';
import { STACK_NAME } from './log-prefix.js';

/** `service`: runs until stopped and is restarted when it exits; `oneshot`: must exit 0 (migrations). */
export type ProcessKind = 'service' | 'oneshot';

/** Where a process is in its life (see `ProcessStatus`). */
export type ProcessState = 'starting' | 'ready' | 'running' | 'restarting' | 'stopped' | 'exited';

/** One process the supervisor runs. */
export interface ProcessSpec {
  /** Unique name: the log prefix and the control API's path segment. */
  readonly name: string;
  /** argv, run without a shell; `command[0]` is looked up on PATH. */
  readonly command: readonly string[];
  /** Working directory. @defaultValue the supervisor's */
  readonly cwd?: string;
  /** Environment, laid over the supervisor's own (unless `inheritEnv` is false). */
  readonly env: Readonly<Record<string, string>>;
  /** A service is ready once GET readyUrl answers 200; without one, once it is spawned. */
  readonly readyUrl?: string;
  readonly kind: ProcessKind;
  /** Processes that must be ready (services) or have exited 0 (oneshots) before this one starts. */
  readonly dependsOn?: readonly string[];
}

/** A process as `status()` reports it. */
export interface ProcessStatus {
  readonly name: string;
  readonly kind: ProcessKind;
  /** Pid (and process group id) of the current run; null when none is running. */
  readonly pid: number | null;
  /**
   * `starting`: spawned, readiness not yet seen; `ready`: readyUrl answered 200; `running`: up
   * (a oneshot, or a service without readyUrl); `restarting`: exited (or SIGKILLed), waiting for
   * its restart; `stopped`: not running and will not be restarted; `exited`: a oneshot that ended.
   */
  readonly state: ProcessState;
  /** How many times it was started again, after a crash or by `restart()`. */
  readonly restarts: number;
  /** When the current (or last) run started, ISO 8601; null if it never started. */
  readonly startedAt: string | null;
}

/** Settings of a `Supervisor`. */
export interface SupervisorOptions {
  /** What to run. */
  processes: readonly ProcessSpec[];
  /** Where prefixed lines go. @defaultValue writes each line to process.stdout */
  log?: (line: string) => void;
  /** Colour the prefixes. @defaultValue true when `log` is the default and stdout is a TTY (and NO_COLOR is unset) */
  color?: boolean;
  /** First restart delay of a crashed service; doubles on each crash. @defaultValue 500 */
  restartBackoffMs?: number;
  /** Ceiling of the restart delay. @defaultValue 10000 */
  maxRestartBackoffMs?: number;
  /** A run this long resets the restart delay to `restartBackoffMs`. @defaultValue 30000 */
  backoffResetMs?: number;
  /** How long a process may take to exit after SIGTERM before it gets SIGKILL. @defaultValue 10000 */
  stopDeadlineMs?: number;
  /** How long `start()` waits for each service's readiness. @defaultValue 120000 */
  readyTimeoutMs?: number;
  /** Interval between readiness probes. @defaultValue 200 */
  readyPollMs?: number;
  /** Lay each spec's env over the supervisor's own environment (PATH, HOME, …). @defaultValue true */
  inheritEnv?: boolean;
}

/** `SupervisorOptions` with every default filled in. */
export type ResolvedSupervisorOptions = Required<Omit<SupervisorOptions, 'log' | 'color'>> & {
  log: (line: string) => void;
  color: boolean;
};

const DEFAULTS = {
  restartBackoffMs: 500,
  maxRestartBackoffMs: 10_000,
  backoffResetMs: 30_000,
  stopDeadlineMs: 10_000,
  readyTimeoutMs: 120_000,
  readyPollMs: 200,
  inheritEnv: true,
} as const;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Fills in defaults and rejects bad values, naming the option. */
export function resolveSupervisorOptions(options: SupervisorOptions): ResolvedSupervisorOptions {
  const useStdout = options.log === undefined;
  const resolved: ResolvedSupervisorOptions = {
    ...DEFAULTS,
    ...withoutUndefined(options),
    processes: options.processes,
    log: options.log ?? ((line) => void process.stdout.write(`${line}\n`)),
    color: options.color ?? (useStdout && process.stdout.isTTY === true && !process.env.NO_COLOR),
  };
  for (const key of [
    'restartBackoffMs',
    'maxRestartBackoffMs',
    'backoffResetMs',
    'stopDeadlineMs',
    'readyTimeoutMs',
    'readyPollMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value <= 0)
      throw new InvalidOptionError(key, `expected a positive integer, got ${String(value)}`);
  }
  if (resolved.maxRestartBackoffMs < resolved.restartBackoffMs) {
    throw new InvalidOptionError('maxRestartBackoffMs', 'must not be below restartBackoffMs');
  }
  if (!Array.isArray(resolved.processes)) throw new InvalidOptionError('processes', 'expected an array');
  resolved.processes.forEach(validateSpec);
  return resolved;
}

function validateSpec(spec: ProcessSpec, i: number): void {
  const option = `processes[${i}]`;
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    throw new InvalidOptionError(
      `${option}.name`,
      `expected letters, digits, '.', '_' or '-', got ${JSON.stringify(spec.name)}`,
    );
  }
  if (spec.name === STACK_NAME)
    throw new InvalidOptionError(`${option}.name`, `"${STACK_NAME}" is the supervisor's own prefix`);
  if (!Array.isArray(spec.command) || spec.command.length === 0 || !spec.command.every((a) => typeof a === 'string')) {
    throw new InvalidOptionError(`${option}.command`, 'expected a non-empty argv array of strings');
  }
  if (spec.kind !== 'service' && spec.kind !== 'oneshot') {
    throw new InvalidOptionError(`${option}.kind`, `expected 'service' or 'oneshot', got ${JSON.stringify(spec.kind)}`);
  }
  if (spec.readyUrl !== undefined) {
    if (spec.kind !== 'service')
      throw new InvalidOptionError(`${option}.readyUrl`, 'only a service has a readiness URL');
    if (!/^http:\/\/[^/]+/.test(spec.readyUrl))
      throw new InvalidOptionError(
        `${option}.readyUrl`,
        `expected an http:// URL, got ${JSON.stringify(spec.readyUrl)}`,
      );
  }
  if (
    typeof spec.env !== 'object' ||
    spec.env === null ||
    !Object.values(spec.env).every((v) => typeof v === 'string')
  ) {
    throw new InvalidOptionError(`${option}.env`, 'expected an object of strings');
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
