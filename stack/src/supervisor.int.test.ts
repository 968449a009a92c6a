import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@recio/test-support';
import { afterTimersUpTo, alive, fixture, fixtureOneshot, fixtureService } from '../test/support.js';
import { OneshotFailedError } from './errors.js';
import { Supervisor, type SupervisorEvents, type SupervisorOptions } from './supervisor.js';

// Real child processes (test/fixtures/*.mjs) and real signals.
const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

function make(options: SupervisorOptions): { sup: Supervisor; lines: string[]; events: string[] } {
  const lines: string[] = [];
  const events: string[] = [];
  const sup = new Supervisor({ restartBackoffMs: 50, stopDeadlineMs: 5_000, log: (l) => lines.push(l), ...options });
  supervisors.push(sup);
  sup.on('spawn', (e) => events.push(`spawn ${e.name}`));
  sup.on('ready', (e) => events.push(`ready ${e.name}`));
  sup.on('exit', (e) => events.push(`exit ${e.name} ${e.signal ?? `code ${e.code}`}`));
  sup.on('restart', (e) => events.push(`restart ${e.name}`));
  return { sup, lines, events };
}

function nextEvent<K extends keyof SupervisorEvents>(
  sup: Supervisor,
  event: K,
  name: string,
): Promise<SupervisorEvents[K][0]> {
  return new Promise((resolve) => {
    const listener = (e: SupervisorEvents[K][0]): void => {
      if (e.name !== name) return;
      sup.off(event, listener as never);
      resolve(e);
    };
    sup.on(event, listener as never);
  });
}

describe('Supervisor start', () => {
  it('runs a oneshot to completion, then a service until ready, then its dependant', async () => {
    const api = await fixtureService('api', { dependsOn: ['migrate'], env: { READY_AFTER: '3' } });
    const { sup, lines, events } = make({
      processes: [
        // Listed out of order on purpose: the dependency order decides.
        {
          name: 'worker',
          kind: 'service',
          command: [process.execPath, fixture('service.mjs')],
          env: {},
          dependsOn: ['api'],
        },
        api,
        fixtureOneshot('migrate', 'applying 001|applied 1 migration'),
      ],
    });
    await sup.start();
    expect(events).toEqual([
      'spawn migrate',
      'exit migrate code 0',
      'spawn api',
      'ready api',
      'spawn worker',
      'ready worker',
    ]);
    // Readiness needed four probes: three 503s (READY_AFTER=3), then a 200. JSON lines pass unchanged.
    // (The child's log line and its HTTP answer travel on different pipes: wait for the line.)
    await until("api's log of the 200", () => lines.includes('[api]     {"msg":"readyz","ok":true}'), {
      timeoutMs: 10_000,
    });
    expect(lines.filter((l) => l === '[api]     {"msg":"readyz","ok":false}')).toHaveLength(3);
    expect(lines).toContain('[migrate] applied 1 migration');
    expect(lines).toContain('[stack]   migrate finished (code 0)');
    const status = Object.fromEntries(sup.status().map((s) => [s.name, s]));
    expect(status.migrate).toMatchObject({ state: 'exited', pid: null, restarts: 0 });
    expect(status.api).toMatchObject({ state: 'ready', restarts: 0 });
    expect(status.worker).toMatchObject({ state: 'running', restarts: 0 });
    expect(alive(status.api!.pid!)).toBe(true);
  });

  it('rejects start() with the failing oneshot and its last lines, and starts none of its dependants', async () => {
    const api = await fixtureService('api', { dependsOn: ['migrate'] });
    const { sup, events } = make({
      processes: [fixtureOneshot('migrate', 'applying 002_trades|ERROR: relation "trades" already exists', 4), api],
    });
    const err = await sup.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OneshotFailedError);
    expect(err).toMatchObject({
      code: 'ONESHOT_FAILED',
      process: 'migrate',
      lastLines: ['applying 002_trades', 'ERROR: relation "trades" already exists'],
    });
    expect((err as Error).message).toMatch(
      /^migrate failed \(code 4\); its last output:\n {2}applying 002_trades\n {2}ERROR: relation "trades" already exists$/,
    );
    expect(events).toEqual(['spawn migrate', 'exit migrate code 4']);
    expect(sup.status().find((s) => s.name === 'api')).toMatchObject({ state: 'stopped', pid: null });
  });

  it('rejects start() when the executable does not exist, saying why', async () => {
    const { sup } = make({
      processes: [{ name: 'ghost', kind: 'oneshot', command: ['/nonexistent/recio-ghost'], env: {} }],
    });
    await expect(sup.start()).rejects.toThrow(
      /^ghost failed \(could not start: spawn \/nonexistent\/recio-ghost ENOENT\)/,
    );
  });
});

describe('Supervisor restarts', () => {
  it('brings a SIGKILLed service back, counts the restart and logs the exit line', async () => {
    const { sup, lines } = make({ processes: [await fixtureService('api')] });
    await sup.start();
    const before = sup.status()[0]!;
    const exited = nextEvent(sup, 'exit', 'api');
    const restarted = nextEvent(sup, 'restart', 'api');
    expect(sup.kill('api')).toBe(true);
    // Reported as going down at once, so waitReady() cannot see the dead run as ready.
    expect(sup.status()[0]!.state).toBe('restarting');
    expect(await exited).toMatchObject({ signal: 'SIGKILL', restartInMs: 50 });
    expect(await restarted).toMatchObject({ restarts: 1, delayMs: 50 });
    await sup.waitReady('api', 20_000);
    const after = sup.status()[0]!;
    expect(after).toMatchObject({ state: 'ready', restarts: 1 });
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid!)).toBe(false);
    expect(lines).toContain('[stack] api exited (signal SIGKILL); restarting in 50 ms');

    // Killed again at once: still the first delay, since a deliberate kill is not a crash loop.
    const again = nextEvent(sup, 'exit', 'api');
    sup.kill('api');
    expect(await again).toMatchObject({ signal: 'SIGKILL', restartInMs: 50 });
    await sup.waitReady('api', 20_000);
    expect(sup.status()[0]).toMatchObject({ state: 'ready', restarts: 2 });
  });

  it('doubles the delay on a crash loop up to the ceiling, and restarts nothing once stopped', async () => {
    const { sup, lines } = make({
      restartBackoffMs: 20,
      maxRestartBackoffMs: 80,
      processes: [
        {
          name: 'crashy',
          kind: 'service',
          command: [process.execPath, fixture('service.mjs')],
          env: { FIXTURE_NAME: 'crashy', EXIT_CODE: '1' },
        },
      ],
    });
    const delays: (number | null)[] = [];
    const counts: number[] = [];
    sup.on('exit', (e) => delays.push(e.restartInMs));
    sup.on('restart', (e) => counts.push(e.restarts));
    await sup.start();
    await until('five crashes', () => delays.length >= 5, { timeoutMs: 30_000 });
    expect(delays.slice(0, 5)).toEqual([20, 40, 80, 80, 80]);
    expect(counts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(lines).toContain('[stack]  crashy exited (code 1); restarting in 80 ms');
    expect(lines).toContain('[crashy] crashy crashing with code 1');
    await sup.stop();
    const spawnsAfterStop: string[] = [];
    sup.on('spawn', (e) => spawnsAfterStop.push(e.name));
    // A restart timer that survived stop() was set before it, with at most the ceiling (80 ms):
    // it would have fired, and spawned, by then.
    await afterTimersUpTo(80);
    expect(spawnsAfterStop).toEqual([]);
    expect(sup.status()[0]).toMatchObject({ state: 'stopped', pid: null });
  });

  it('restart() replaces the process without backoff and counts it', async () => {
    const { sup, lines } = make({ processes: [await fixtureService('api')] });
    await sup.start();
    const before = sup.status()[0]!.pid!;
    await sup.restart('api');
    await sup.waitReady('api', 20_000);
    const after = sup.status()[0]!;
    expect(after).toMatchObject({ state: 'ready', restarts: 1 });
    expect(after.pid).not.toBe(before);
    expect(lines).toContain('[api]   api stopping');
    expect(lines).toContain('[stack] api stopped (code 0)');
    expect(lines.some((l) => l.includes('restarting in'))).toBe(false);
  });
});

describe('Supervisor stop', () => {
  it('stops dependants first, SIGKILLs a child that ignores SIGTERM, and leaves no grandchild behind', async () => {
    const db = await fixtureService('db', { env: { GRANDCHILD: '1' } });
    const stubborn = await fixtureService('stubborn', { dependsOn: ['db'], env: { IGNORE_SIGTERM: '1' } });
    const { sup, lines, events } = make({ stopDeadlineMs: 2_000, processes: [db, stubborn] });
    await sup.start();
    const pids = sup.status().map((s) => s.pid!);
    await until('the grandchild', () => lines.some((l) => l.includes('grandchild pid=')), { timeoutMs: 20_000 });
    const grandchild = Number(/grandchild pid=(\d+)/.exec(lines.find((l) => l.includes('grandchild pid='))!)![1]);
    expect(alive(grandchild)).toBe(true);

    const stopping = sup.stop();
    expect(sup.stop()).toBe(stopping); // idempotent: the same promise
    await stopping;
    expect(events.filter((e) => e.startsWith('exit'))).toEqual(['exit stubborn SIGKILL', 'exit db code 0']);
    expect(lines).toContain('[stubborn] stubborn ignoring SIGTERM');
    expect(lines).toContain('[stack]    stubborn did not exit within 2000 ms of SIGTERM; sending SIGKILL');
    expect(sup.status().map((s) => [s.name, s.state, s.pid])).toEqual([
      ['db', 'stopped', null],
      ['stubborn', 'stopped', null],
    ]);
    for (const pid of [...pids, grandchild])
      await until(`pid ${pid} to be gone`, () => !alive(pid), { timeoutMs: 5_000 });
    await expect(sup.start()).rejects.toMatchObject({ code: 'STOPPED' });
    await expect(sup.restart('db')).rejects.toMatchObject({ code: 'STOPPED' });
  });

  it('stops a service SIGKILLed just before stop() without restarting it', async () => {
    const { sup, events } = make({ restartBackoffMs: 100, processes: [await fixtureService('api')] });
    await sup.start();
    const exited = once(sup, 'exit');
    sup.kill('api');
    await exited;
    await sup.stop();
    // The restart timer the kill set (the 100 ms backoff) would have fired, and spawned, by then.
    await afterTimersUpTo(100);
    expect(events).toEqual(['spawn api', 'ready api', 'exit api SIGKILL']);
    expect(sup.status()[0]).toMatchObject({ state: 'stopped', restarts: 0 });
  });
});

describe('Supervisor output', () => {
  it('prefixes every line, padded to the longest name, and keeps partial lines written at exit', async () => {
    const { sup, lines } = make({
      processes: [
        { name: 'partial', kind: 'oneshot', command: [process.execPath, fixture('partial.mjs')], env: {} },
        fixtureOneshot('longer-name', 'never', 0, { dependsOn: ['partial'] }),
      ],
    });
    await expect(sup.start()).rejects.toMatchObject({ code: 'ONESHOT_FAILED', process: 'partial' });
    // Widest label "[longer-name]" is 13 characters; every label is padded to it, then one space.
    const own = lines.filter((l) => l.startsWith('[partial]'));
    expect(own.slice(0, 4)).toEqual([
      '[partial]     first line',
      '[partial]     second line',
      '[partial]     price €',
      '[partial]     {"level":30,"msg":"json"}',
    ]);
    expect(own.slice(4).sort()).toEqual(['[partial]     stderr partial', '[partial]     stdout partial']);
    // The exit line comes after every line of output, the partial ones included.
    expect(lines.at(-1)).toBe('[stack]       partial failed (code 3)');
  });
});
