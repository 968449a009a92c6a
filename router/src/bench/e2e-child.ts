import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { E2eConsumerConfig, E2eReply, E2eRequest } from './e2e-protocol.js';

type Answer = Extract<E2eReply, { id: number }>;

const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * The bench's handle on a consumer in another process (e2e-consumer.ts): started with fork, asked
 * over IPC how many events it handled and when each handler started, in its own clock, which
 * `clockOffsetMs` maps onto this process's.
 */
export class ConsumerProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (answer: Answer) => void>();
  #nextId = 0;
  #exited: Promise<void>;
  /** The child's clock minus this process's (estimated by `syncClock`). */
  clockOffsetMs = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (reply: E2eReply) => {
      if ('id' in reply) {
        this.#waiting.get(reply.id)?.(reply);
        this.#waiting.delete(reply.id);
      }
    });
  }

  /** Forks the consumer and resolves once it consumes. */
  static async start(config: E2eConsumerConfig): Promise<ConsumerProcess> {
    const child = fork(fileURLToPath(new URL('./e2e-consumer.js', import.meta.url)), [JSON.stringify(config)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const handle = new ConsumerProcess(child);
    await new Promise<void>((resolve, reject) => {
      child.on('message', (reply: E2eReply) => {
        if ('ready' in reply) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the ${config.mode} consumer process exited (${code})`)));
    });
    await handle.syncClock();
    return handle;
  }

  /** Events the child has handled so far. */
  async handled(): Promise<number> {
    return (await this.#ask('count')).handled;
  }

  /** Events the child has handled so far, the CPU time it has used (ms) and the round trips it sent. */
  async usage(): Promise<{ handled: number; cpuMs: number; pgRoundTrips: number; redisCommands: number }> {
    const { handled, cpuMs, pgRoundTrips = 0, redisCommands = 0 } = await this.#ask('usage');
    return { handled, cpuMs, pgRoundTrips, redisCommands };
  }

  /** Handler start times (mapped onto this process's clock) by event number, since the last collect. */
  async collect(): Promise<Map<number, number>> {
    const { ks = [], startedAt = [] } = await this.#ask('collect');
    return new Map(ks.map((k, i) => [k, startedAt[i]! - this.clockOffsetMs]));
  }

  /**
   * Estimates the child's clock offset over IPC from the round trip with the smallest delay
   * (as NTP does): both clocks are performance.timeOrigin + performance.now(), whose origins are
   * taken from the system clock at each process's start, so they may differ by a fraction of a ms.
   */
  async syncClock(rounds = 30): Promise<void> {
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      const sent = wallMs();
      const { now } = await this.#ask('clock');
      const received = wallMs();
      if (received - sent < best) {
        best = received - sent;
        this.clockOffsetMs = now - (sent + received) / 2;
      }
    }
  }

  /** Resolves once `target` events were handled; throws after `timeoutMs`. */
  async waitFor(target: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const handled = await this.handled();
      if (handled >= target) return;
      if (performance.now() > deadline) throw new Error(`consumer handled ${handled} of ${target} events in time`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops consuming and waits for the process to end. Idempotent. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) {
      await this.#ask('stop').catch(() => undefined);
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }

  #ask(cmd: E2eRequest['cmd']): Promise<Answer> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, resolve);
      this.#child.send({ id, cmd } satisfies E2eRequest, (err) => {
        if (err) {
          this.#waiting.delete(id);
          reject(err);
        }
      });
    });
  }
}
