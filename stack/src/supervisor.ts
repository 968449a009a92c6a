import { EventEmitter } from 'node:events';
import { Backoff } from './backoff.js';
import { dependantsOf, dependencyOrder } from './dependency-order.js';
import {
  NotAServiceError,
  OneshotFailedError,
  ReadyTimeoutError,
  StoppedError,
  UnknownProcessError,
} from './errors.js';
import { LastLines, prefixes, STACK_NAME } from './log-prefix.js';
import { pollUntilReady } from './readiness.js';
import { describeExit, signalGroup, spawnChild, type ChildExit, type ChildRun } from './spawn-child.js';
import {
  resolveSupervisorOptions,
  type ProcessSpec,
  type ProcessState,
  type ProcessStatus,
  type ResolvedSupervisorOptions,
  type SupervisorOptions,
} from './supervisor-options.js';

export type { ProcessKind, ProcessSpec, ProcessState, ProcessStatus, SupervisorOptions } from './supervisor-options.js';

/** Events of a `Supervisor`, each with what tests and the CLI need. */
export interface SupervisorEvents {
  /** A run of a process began. */
  spawn: [{ name: string; pid: number | null }];
  /** A service became ready (readyUrl answered 200, or it was spawned if it has none). */
  ready: [{ name: string; pid: number | null }];
  /** A run ended; `restartInMs` is the backoff delay when it will be restarted, else null. */
  exit: [
    {
      name: string;
      pid: number | null;
      code: number | null;
      signal: NodeJS.Signals | null;
      restartInMs: number | null;
    },
  ];
  /** A service was started again, after a crash (`delayMs` = the backoff waited) or by `restart()` (0). */
  restart: [{ name: string; pid: number | null; restarts: number; delayMs: number }];
}

interface Proc {
  readonly spec: ProcessSpec;
  state: ProcessState;
  run: ChildRun | undefined;
  restarts: number;
  startedAt: number | null;
  readonly backoff: Backoff;
  readonly lastLines: LastLines;
  restartTimer: NodeJS.Timeout | undefined;
  readyAbort: AbortController | undefined;
  /** An exit asked for by `restart()`: not a crash, so no backoff restart. */
  expectedExit: boolean;
  restarting: Promise<void> | undefined;
}

/**
 * Runs a set of processes locally, like a tiny systemd: starts them in dependency order (oneshots
 * must exit 0, services must be ready before their dependants start), prefixes their output,
 * restarts crashed services with exponential backoff, and stops everything in reverse order with a
 * SIGTERM → deadline → SIGKILL sequence. Nothing is restarted once `stop()` has begun.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly options: ResolvedSupervisorOptions;
  private readonly procs = new Map<string, Proc>();
  private readonly ordered: Proc[];
  private readonly prefix: Map<string, string>;
  private readonly stopSignal = new AbortController();
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  // If the supervisor dies without stop() (an uncaught exception), its children still must not
  // outlive it: their groups are SIGKILLed synchronously on the way out.
  private readonly killAllOnExit = (): void => {
    for (const p of this.procs.values()) if (p.run?.pid) signalGroup(p.run.pid, 'SIGKILL');
  };

  constructor(options: SupervisorOptions) {
    super();
    this.options = resolveSupervisorOptions(options);
    const ordered = dependencyOrder(this.options.processes);
    for (const spec of ordered) {
      this.procs.set(spec.name, {
        spec,
        state: 'stopped',
        run: undefined,
        restarts: 0,
        startedAt: null,
        backoff: new Backoff({
          initialMs: this.options.restartBackoffMs,
          maxMs: this.options.maxRestartBackoffMs,
          resetAfterMs: this.options.backoffResetMs,
        }),
        lastLines: new LastLines(),
        restartTimer: undefined,
        readyAbort: undefined,
        expectedExit: false,
        restarting: undefined,
      });
    }
    this.ordered = ordered.map((s) => this.get(s.name));
    this.prefix = prefixes(
      ordered.map((s) => s.name),
      this.options.color,
    );
  }

  /**
   * Starts every process in dependency order and resolves once every oneshot has exited 0 and every
   * service is ready. Rejects with `OneshotFailedError` or `ReadyTimeoutError` (naming the process,
   * with its last output lines); what was started keeps running, so call `stop()` after a rejection.
   */
  start(): Promise<void> {
    if (this.stopSignal.signal.aborted) return Promise.reject(new StoppedError());
    this.startPromise ??= this.startAll();
    return this.startPromise;
  }

  /**
   * Sends `signal` to the process's group; false when it has no running process. A service that
   * exits from it is restarted after the first backoff delay (a kill does not count as a crash).
   */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const p = this.get(name);
    const pid = p.run?.pid;
    if (!pid || !signalGroup(pid, signal)) return false;
    // A deliberate kill is not a crash: chaos tests killing a service every few seconds must see it
    // back after the first delay each time, not after a delay grown towards the ceiling.
    p.backoff.reset();
    // A SIGKILLed service is certainly going down: report it as such at once, so that a
    // `waitReady()` right after `kill()` waits for the next run rather than seeing the dead one.
    if (signal === 'SIGKILL' && p.spec.kind === 'service' && !this.stopping) {
      p.state = 'restarting';
      p.readyAbort?.abort();
    }
    return true;
  }

  /**
   * Restarts a service now: SIGTERM (SIGKILL after `stopDeadlineMs`), wait for the exit, start it
   * again (no backoff). Resolves once the new run is spawned; `waitReady(name)` waits for readiness.
   */
  async restart(name: string): Promise<void> {
    const p = this.get(name);
    if (p.spec.kind !== 'service') throw new NotAServiceError(name);
    if (this.stopping) throw new StoppedError();
    p.restarting ??= (async () => {
      try {
        clearTimeout(p.restartTimer);
        p.restartTimer = undefined;
        if (p.run) {
          p.expectedExit = true;
          await this.terminate(p);
        }
        if (this.stopping) throw new StoppedError();
        p.backoff.reset();
        p.restarts += 1;
        this.spawn(p);
        this.emit('restart', { name, pid: p.run?.pid ?? null, restarts: p.restarts, delayMs: 0 });
      } finally {
        p.expectedExit = false;
        p.restarting = undefined;
      }
    })();
    return p.restarting;
  }

  /** Writes a line under the supervisor's own `[stack]` prefix (the CLI's messages). */
  say(message: string): void {
    this.write(STACK_NAME, message);
  }

  /** Every process, in start order. */
  status(): ProcessStatus[] {
    return this.ordered.map((p) => ({
      name: p.spec.name,
      kind: p.spec.kind,
      pid: p.run?.pid ?? null,
      state: p.state,
      restarts: p.restarts,
      startedAt: p.startedAt === null ? null : new Date(p.startedAt).toISOString(),
    }));
  }

  /**
   * Resolves when the named service (or every service) is ready; rejects with `ReadyTimeoutError`
   * after `timeoutMs`, or `StoppedError` once `stop()` begins.
   */
  async waitReady(name?: string, timeoutMs = 60_000): Promise<void> {
    const targets = name === undefined ? this.ordered.filter((p) => p.spec.kind === 'service') : [this.get(name)];
    if (name !== undefined && targets[0]?.spec.kind !== 'service') throw new NotAServiceError(name);
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.off('ready', check);
        this.stopSignal.signal.removeEventListener('abort', onStop);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (targets.every((p) => this.isReady(p))) done();
      };
      const onStop = (): void => done(new StoppedError());
      const timer = setTimeout(() => {
        const late = targets.filter((p) => !this.isReady(p));
        done(new ReadyTimeoutError(late.map((p) => p.spec.name).join(', '), timeoutMs, late[0]?.lastLines.get() ?? []));
      }, timeoutMs);
      if (this.stopping) return onStop();
      this.on('ready', check);
      this.stopSignal.signal.addEventListener('abort', onStop);
      check();
    });
  }

  /**
   * Stops everything: dependants first, each with SIGTERM, then SIGKILL after `stopDeadlineMs`.
   * Idempotent (the same promise); nothing restarts once it has begun.
   */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopSignal.abort();
    for (const p of this.ordered) {
      clearTimeout(p.restartTimer);
      p.restartTimer = undefined;
      p.readyAbort?.abort();
      if (!p.run && p.state === 'restarting') p.state = 'stopped';
    }
    const done = new Map<string, Promise<void>>();
    // Reverse start order: every dependant is already in `done` when its dependency is reached.
    for (const p of [...this.ordered].reverse()) {
      const dependants = dependantsOf(this.options.processes, p.spec.name).flatMap((n) => done.get(n) ?? []);
      done.set(
        p.spec.name,
        Promise.all(dependants).then(() => this.stopOne(p)),
      );
    }
    this.stopPromise = Promise.all(done.values()).then(() => {
      process.off('exit', this.killAllOnExit);
    });
    return this.stopPromise;
  }

  /** Whether `stop()` has begun. */
  get stopping(): boolean {
    return this.stopSignal.signal.aborted;
  }

  private get(name: string): Proc {
    const p = this.procs.get(name);
    if (!p) throw new UnknownProcessError(name);
    return p;
  }

  private isReady(p: Proc): boolean {
    return (
      p.spec.kind === 'service' && (p.state === 'ready' || (p.spec.readyUrl === undefined && p.state === 'running'))
    );
  }

  private async startAll(): Promise<void> {
    process.on('exit', this.killAllOnExit);
    const started = new Map<string, Promise<void>>();
    for (const p of this.ordered) {
      const deps = (p.spec.dependsOn ?? []).flatMap((d) => started.get(d) ?? []);
      const promise = Promise.all(deps).then(() => this.startOne(p));
      promise.catch(() => undefined); // reported through Promise.all below
      started.set(p.spec.name, promise);
    }
    await Promise.all(started.values());
  }

  private async startOne(p: Proc): Promise<void> {
    if (this.stopping) throw new StoppedError();
    const run = this.spawn(p);
    if (p.spec.kind === 'oneshot') {
      const exit = await run.exited;
      if (this.stopping) throw new StoppedError();
      if (exit.code !== 0)
        throw new OneshotFailedError(p.spec.name, describeExit(exit), p.lastLines.get(), { cause: exit.error });
      return;
    }
    await this.waitReady(p.spec.name, this.options.readyTimeoutMs);
  }

  private spawn(p: Proc): ChildRun {
    if (this.stopping) throw new StoppedError();
    const { spec } = p;
    p.lastLines.clear();
    const run = spawnChild({
      command: spec.command,
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      env: this.options.inheritEnv ? { ...process.env, ...spec.env } : { ...spec.env },
      onLine: (line) => {
        p.lastLines.add(line);
        this.write(spec.name, line);
      },
    });
    p.run = run;
    p.startedAt = run.startedAt;
    p.state = spec.kind === 'service' && spec.readyUrl !== undefined ? 'starting' : 'running';
    void run.exited.then((exit) => this.onExit(p, run, exit));
    this.emit('spawn', { name: spec.name, pid: run.pid });
    if (spec.kind === 'service') this.watchReadiness(p, run);
    return run;
  }

  private watchReadiness(p: Proc, run: ChildRun): void {
    const url = p.spec.readyUrl;
    if (url === undefined) {
      this.emit('ready', { name: p.spec.name, pid: run.pid });
      return;
    }
    const abort = new AbortController();
    p.readyAbort = abort;
    void pollUntilReady(url, this.options.readyPollMs, abort.signal).then((ok) => {
      // Only the run that was probed, and only if nothing (an exit, a SIGKILL) overtook the probe.
      if (!ok || p.run !== run || p.state !== 'starting' || this.stopping) return;
      p.state = 'ready';
      this.emit('ready', { name: p.spec.name, pid: run.pid });
    });
  }

  private onExit(p: Proc, run: ChildRun, exit: ChildExit): void {
    if (p.run !== run) return;
    p.run = undefined;
    p.readyAbort?.abort();
    const { name, kind } = p.spec;
    const how = describeExit(exit);
    const base = { name, pid: run.pid, code: exit.code, signal: exit.signal };
    if (kind === 'oneshot') {
      p.state = 'exited';
      this.write(STACK_NAME, `${name} ${exit.code === 0 ? 'finished' : 'failed'} (${how})`);
      this.emit('exit', { ...base, restartInMs: null });
      return;
    }
    if (this.stopping || p.expectedExit) {
      p.state = 'stopped';
      this.write(STACK_NAME, `${name} stopped (${how})`);
      this.emit('exit', { ...base, restartInMs: null });
      return;
    }
    const delay = p.backoff.next(Date.now() - run.startedAt);
    p.state = 'restarting';
    this.write(STACK_NAME, `${name} exited (${how}); restarting in ${delay} ms`);
    p.restartTimer = setTimeout(() => {
      p.restartTimer = undefined;
      if (this.stopping || p.run) return;
      p.restarts += 1;
      const next = this.spawn(p);
      this.emit('restart', { name, pid: next.pid, restarts: p.restarts, delayMs: delay });
    }, delay);
    this.emit('exit', { ...base, restartInMs: delay });
  }

  private async stopOne(p: Proc): Promise<void> {
    if (p.run) await this.terminate(p);
    if (p.state !== 'exited') p.state = 'stopped';
  }

  /** SIGTERM to the group, SIGKILL after the deadline; resolves once the run has exited. */
  private async terminate(p: Proc): Promise<void> {
    const run = p.run;
    if (!run) return;
    if (run.pid === null) {
      await run.exited;
      return;
    }
    const pid = run.pid;
    signalGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.options.stopDeadlineMs);
    });
    const first = await Promise.race([run.exited, deadline]);
    clearTimeout(timer);
    if (first === 'deadline') {
      this.write(
        STACK_NAME,
        `${p.spec.name} did not exit within ${this.options.stopDeadlineMs} ms of SIGTERM; sending SIGKILL`,
      );
      signalGroup(pid, 'SIGKILL');
      await run.exited;
    }
  }

  private write(name: string, line: string): void {
    this.options.log(`${this.prefix.get(name) ?? `[${name}] `}${line}`);
  }
}
