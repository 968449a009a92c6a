import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, killAndWait, until } from '@recio/test-support';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOptions, privateDatabase } from './harness/day.js';
import { PlatformRun } from './harness/platform-run.js';
import {
  PrometheusServer,
  startPostgresExporter,
  startRedisExporter,
  type Sample,
  type Started,
} from './harness/prometheus.js';

// The SRE's view, for real: the local platform (every service, the health controller and a second
// replica of it, Redis's and PostgreSQL's exporters) scraped by Debian's Prometheus every second,
// with the charts' alert rules loaded. A consumer is SIGSTOPped: the controller must find it, the
// alert fire, the controller restart it and its group catch up; every panel of every dashboard
// must then show data. The times are printed (docs/operations.md quotes them).

const ROOT = resolve(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'dashboards', 'rules', 'recio.rules.yml');
const DASHBOARDS = join(ROOT, 'dashboards', 'grafana');
const HC = 'health-controller';
const VICTIM = 'trade-manager';
const SECOND_REPLICA = 'health-controller-b';

/** Grafana's variables as a query would send them over the last hour. */
const concrete = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$traders', '2');

/** Every panel query of the committed dashboards (what Grafana is given). */
async function panelQueries(): Promise<{ panel: string; expr: string }[]> {
  const out: { panel: string; expr: string }[] = [];
  for (const file of (await readdir(DASHBOARDS)).filter((f) => f.endsWith('.json')).sort()) {
    const d = JSON.parse(await readFile(join(DASHBOARDS, file), 'utf8')) as {
      uid: string;
      panels: { title?: string; targets?: { expr?: string }[] }[];
    };
    for (const p of d.panels)
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: `${d.uid}: ${p.title}`, expr: t.expr });
  }
  return out;
}

const value = (samples: Sample[]) => (samples.length === 0 ? undefined : Number(samples[0]!.value[1]));

describe('observability: a real Prometheus scraping the platform', () => {
  let run: PlatformRun;
  let prometheus: PrometheusServer;
  const started: Started[] = [];
  let secondReplica: ChildProcess | undefined;
  let socket: WebSocket | undefined;
  /** When Prometheus first saw one controller replica leading. */
  let leadingSince = 0;

  beforeAll(async () => {
    run = await PlatformRun.start(
      dayOptions('observability', {
        portOffset: 23_000,
        // A server of its own with the database named as deployed: the dashboards read its statistics by name.
        database: privateDatabase,
        // Quick judgements, so the test waits seconds rather than the production minute.
        healthController: {
          SAMPLE_INTERVAL_MS: '1000',
          STALL_WINDOW_SECONDS: '5',
          CLAIM_IDLE_MS: '5000',
          STARTUP_GRACE_MS: '5000',
          SWEEP_INTERVAL_MS: '5000',
        },
      }),
    );
    // A second replica of the controller, as Kubernetes would run it: the same configuration, its own pod name and port.
    const spec = run.processes.find((p) => p.name === HC)!;
    const port = await freePort();
    secondReplica = spawn(spec.command[0]!, spec.command.slice(1), {
      cwd: spec.cwd,
      env: { ...spec.env, PORT: String(port), POD_NAME: SECOND_REPLICA },
      stdio: 'ignore',
    });
    await until('the second replica ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const log = join(ROOT, '.recio', 'e2e', 'observability-prometheus.log');
    const redisExporter = await startRedisExporter(await run.redisUrl(), log);
    started.push(redisExporter);
    const postgresExporter = await startPostgresExporter(run.database.url, log);
    started.push(postgresExporter);
    const services = run.processes.filter((p) => p.kind === 'service').map((p) => p.name);
    prometheus = await PrometheusServer.start({
      ruleFiles: [RULES],
      logFile: log,
      jobs: [
        {
          job: 'recio',
          targets: [
            ...services.map((name) => ({
              address: `127.0.0.1:${run.port(name)}`,
              labels: { app_kubernetes_io_part_of: 'recio', pod: `${name}-local` },
            })),
            { address: `127.0.0.1:${port}`, labels: { app_kubernetes_io_part_of: 'recio', pod: SECOND_REPLICA } },
          ],
        },
        { job: 'redis', targets: [{ address: `127.0.0.1:${redisExporter.port}` }] },
        { job: 'postgres', targets: [{ address: `127.0.0.1:${postgresExporter.port}` }] },
      ],
    });
    // A trader following prices on the page's socket (the migration dashboard's socket latency).
    socket = new WebSocket(`ws://127.0.0.1:${run.port('main-app')}/ws`, {
      headers: { authorization: `Bearer ${run.token('user_0001')}` },
    });
    await new Promise<void>((ok, fail) => socket!.once('open', ok).once('error', fail));
    socket.send(JSON.stringify({ op: 'subscribe', channel: 'prices:btc' }));
    // Three hours of the day: entries, stops in the third hour's drop, expiries and settlements.
    for (let i = 0; i < 3 * 60; i++) await run.step();
    // The trader opens the page twice: once from PostgreSQL, once from the cache.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${run.url('main-app')}/api/v1/snapshot`, {
        headers: { authorization: `Bearer ${run.token('user_0001')}` },
      });
      expect(res.status).toBe(200);
    }
  }, 300_000);

  afterAll(async () => {
    socket?.close();
    await prometheus?.close();
    for (const s of started) await s.close();
    if (secondReplica) await killAndWait(secondReplica, 'SIGTERM');
    await run?.close();
  });

  it('scrapes every service, both controller replicas and the exporters', async () => {
    // Each target answered a scrape (a loaded machine may miss one now and then: the next counts).
    const seenUp = new Set<string>();
    let expected = 0;
    await until(
      'every target up',
      async () => {
        const targets = await prometheus.targets();
        expected = targets.length;
        for (const t of targets) if (t.health === 'up') seenUp.add(t.scrapeUrl);
        return expected > 0 && seenUp.size === expected;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(async (err: unknown) => {
      const never = (await prometheus.targets()).filter((t) => !seenUp.has(t.scrapeUrl));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(never)}`);
    });
    // Exactly one replica leads.
    await until('one leader', async () => value(await prometheus.query('sum(recio_controller_leader)')) === 1, {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    leadingSince = Date.now();
  });

  it('finds a SIGSTOPped consumer STOPPED, fires its alert, restarts it and catches up', async () => {
    const before = run.supervisor.status().find((p) => p.name === VICTIM)!;
    // The world keeps moving (one tick a second) while the trade manager is frozen.
    let ticking = true;
    // A failed tick is kept for the end of the test, not left an unhandled rejection.
    const ticker = (async () => {
      while (ticking) {
        await run.advance();
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    const t0 = Date.now();
    process.kill(before.pid!, 'SIGSTOP');
    const at = (t: number) => `${((t - t0) / 1000).toFixed(1)} s`;
    const wait = (what: string, check: () => Promise<boolean>) =>
      until(what, async () => (await check()) && Date.now(), { timeoutMs: 120_000, intervalMs: 250 });
    try {
      const stopped = await wait(
        'STOPPED in Prometheus',
        async () => value(await prometheus.query(`max(recio_consumer_stopped{group="${VICTIM}"})`)) === 1,
      );
      const fired = await wait('RecioConsumerStopped firing', async () =>
        (await prometheus.alerts()).some(
          (a) => a.labels.alertname === 'RecioConsumerStopped' && a.labels.group === VICTIM && a.state === 'firing',
        ),
      );
      const restarted = await wait('restarted by the controller', async () => {
        const now = run.supervisor.status().find((p) => p.name === VICTIM)!;
        return now.restarts > before.restarts && now.state === 'ready';
      });
      const caughtUp = await wait(
        'lag 0 and OK in Prometheus',
        async () =>
          value(await prometheus.query(`max(recio_group_lag{group="${VICTIM}"})`)) === 0 &&
          value(await prometheus.query(`max(recio_group_state{group="${VICTIM}",state="OK"})`)) === 1,
      );
      console.log(
        `SIGSTOP of ${VICTIM}: STOPPED in Prometheus after ${at(stopped)}, alert firing ${at(fired)}, ` +
          `restarted (ready) ${at(restarted)}, lag 0 and OK ${at(caughtUp)}`,
      );
      expect(stopped).toBeLessThanOrEqual(fired);
      expect(fired).toBeLessThanOrEqual(restarted);
      expect(restarted).toBeLessThanOrEqual(caughtUp);
    } finally {
      ticking = false;
    }
    const tickFailure = await ticker;
    if (tickFailure) throw tickFailure;
    await run.settle();
    // Restarted once, by one controller: the supervisor saw one restart request.
    expect(run.supervisor.status().find((p) => p.name === VICTIM)!.restarts).toBe(before.restarts + 1);
    // ... and the alert resolves once the member is gone.
    await until(
      'RecioConsumerStopped resolved',
      async () => !(await prometheus.alerts()).some((a) => a.labels.alertname === 'RecioConsumerStopped'),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  });

  it('never lets the second replica act', async () => {
    // Never two leaders; from the first leader on, the first replica led at every scrape (a scrape
    // that failed under load leaves a gap, not a 0), and the second replica at none.
    expect(value(await prometheus.query('max_over_time(sum(recio_controller_leader)[10m:1s])'))).toBe(1);
    const since = `${Math.ceil((Date.now() - leadingSince) / 1000)}s`;
    expect(value(await prometheus.query(`min_over_time(recio_controller_leader{pod="${HC}-local"}[${since}])`))).toBe(
      1,
    );
    expect(value(await prometheus.query(`max_over_time(recio_controller_leader{pod="${SECOND_REPLICA}"}[10m])`))).toBe(
      0,
    );
    // Its action counters never moved, and it exported no judgement of any group.
    for (const counter of [
      'recio_controller_restarts_total',
      'recio_controller_acked_total',
      'recio_controller_consumers_deleted_total',
    ]) {
      const moved = await prometheus.query(`max_over_time(${counter}{pod="${SECOND_REPLICA}"}[10m]) > 0`);
      expect(moved, counter).toEqual([]);
    }
    expect(await prometheus.query(`recio_group_state{pod="${SECOND_REPLICA}"}`)).toEqual([]);
    // The leader did the restart.
    expect(
      value(await prometheus.query(`sum(recio_controller_restarts_total{pod="${HC}-local",outcome="restarted"})`)),
    ).toBe(1);
  });

  it('shows data in every panel of every dashboard', async () => {
    const queries = await panelQueries();
    expect(queries.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const q of queries) {
      const samples = await until(
        q.panel,
        async () => {
          const result = await prometheus.query(concrete(q.expr));
          return result.length > 0 && result;
        },
        { timeoutMs: 5_000, intervalMs: 500 },
      ).catch(() => []);
      if (samples.length === 0) empty.push(`${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  });
});
