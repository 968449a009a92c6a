import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureOneshot, fixtureService } from '../test/support.js';
import { ControlServer } from './control-server.js';
import { Supervisor, type SupervisorEvents } from './supervisor.js';

// A real supervisor with a real fixture service behind the control API, over real HTTP.
let sup: Supervisor;
let control: ControlServer;
let base: string;

beforeAll(async () => {
  sup = new Supervisor({
    processes: [fixtureOneshot('migrate', 'ok'), await fixtureService('api', { dependsOn: ['migrate'] })],
    restartBackoffMs: 50,
    log: () => undefined,
  });
  control = new ControlServer({ supervisor: sup, port: 0 });
  base = await control.start();
  await sup.start();
});

afterAll(async () => {
  await control.close();
  await sup.stop();
});

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: { connection: 'close', ...headers } });
  return { status: res.status, body: await res.json() };
}

function next<K extends keyof SupervisorEvents>(event: K): Promise<SupervisorEvents[K][0]> {
  return new Promise((resolve) => sup.once(event, ((e: SupervisorEvents[K][0]) => resolve(e)) as never));
}

describe('ControlServer', () => {
  it('lists the processes with their state', async () => {
    const { status, body } = await call('GET', '/processes');
    expect(status).toBe(200);
    expect(body.processes.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual([
      ['migrate', 'exited'],
      ['api', 'ready'],
    ]);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('restarts a service: a new pid, the counter up, ready again', async () => {
    const before = sup.status()[1]!;
    const { status, body } = await call('POST', '/processes/api/restart');
    expect(status).toBe(200);
    expect(body.process).toMatchObject({ name: 'api', restarts: before.restarts + 1 });
    expect(body.process.pid).not.toBe(before.pid);
    await sup.waitReady('api', 20_000);
  });

  it('kills with SIGKILL by default and with SIGTERM when asked; the service comes back each time', async () => {
    let exited = next('exit');
    let { status, body } = await call('POST', '/processes/api/kill');
    expect(status).toBe(200);
    expect(body).toEqual({ name: 'api', signal: 'SIGKILL' });
    expect(await exited).toMatchObject({ name: 'api', signal: 'SIGKILL' });
    await sup.waitReady('api', 20_000);

    exited = next('exit');
    ({ status, body } = await call('POST', '/processes/api/kill?signal=SIGTERM'));
    expect(status).toBe(200);
    expect(body).toEqual({ name: 'api', signal: 'SIGTERM' });
    // The fixture drains on SIGTERM and exits 0; a service exiting 0 on its own is restarted too.
    expect(await exited).toMatchObject({ name: 'api', code: 0, signal: null, restartInMs: expect.any(Number) });
    await sup.waitReady('api', 20_000);
  });

  it('answers 404 UNKNOWN_PROCESS for a name it does not know', async () => {
    for (const path of ['/processes/nope/restart', '/processes/nope/kill']) {
      const { status, body } = await call('POST', path);
      expect(status).toBe(404);
      expect(body.error).toEqual({ code: 'UNKNOWN_PROCESS', message: 'no process named "nope"' });
    }
  });

  it('answers 400 INVALID_SIGNAL for a signal other than SIGKILL or SIGTERM, and sends nothing', async () => {
    const pid = sup.status()[1]!.pid;
    const { status, body } = await call('POST', '/processes/api/kill?signal=SIGSTOP');
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_SIGNAL');
    expect(sup.status()[1]).toMatchObject({ pid, state: 'ready' });
  });

  it('answers 409 for a oneshot: not a service to restart, no process to kill', async () => {
    expect(await call('POST', '/processes/migrate/restart')).toMatchObject({
      status: 409,
      body: { error: { code: 'NOT_A_SERVICE' } },
    });
    expect(await call('POST', '/processes/migrate/kill')).toMatchObject({
      status: 409,
      body: { error: { code: 'NOT_RUNNING' } },
    });
  });

  it('refuses wrong methods, unknown routes and browser (Origin) requests', async () => {
    expect(await call('GET', '/processes/api/restart')).toMatchObject({
      status: 405,
      body: { error: { code: 'METHOD_NOT_ALLOWED' } },
    });
    expect(await call('POST', '/processes')).toMatchObject({ status: 405 });
    expect(await call('GET', '/nothing')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const pid = sup.status()[1]!.pid;
    const cross = await call('POST', '/processes/api/kill', { origin: 'https://evil.example' });
    expect(cross).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_ORIGIN' } } });
    expect(sup.status()[1]!.pid).toBe(pid);
  });

  it('close() is idempotent', async () => {
    const other = new ControlServer({ supervisor: sup, port: 0 });
    const url = await other.start();
    const closing = other.close();
    expect(other.close()).toBe(closing);
    await closing;
    expect(url).not.toBe(base);
    await expect(fetch(`${url}/processes`)).rejects.toThrow();
  });
});
