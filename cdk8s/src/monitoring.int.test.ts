/**
 * The alert rules in dashboards/rules/ are checked and unit-tested by a real promtool (Debian's
 * prometheus package, installed by scripts/ensure-tools.sh), and the charts ship exactly them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartObjects, type Obj } from '../test/chart-objects.js';
import { grafanaDashboards, RULES_FILE, ruleGroups } from './monitoring.js';

const run = promisify(execFile);
const promtool = (args: string[], cwd?: string) =>
  run('promtool', args, cwd === undefined ? {} : { cwd }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe('dashboards/rules', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'recio-rules-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('pass promtool check rules', async () => {
    const r = await promtool(['check', 'rules', RULES_FILE]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('pass their promtool unit tests (recio.rules.test.yml)', async () => {
    const r = await promtool(['test', 'rules', 'recio.rules.test.yml'], dirname(RULES_FILE));
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('a rule promtool refuses fails the check (the check is real)', async () => {
    const bad = join(scratch, 'bad.rules.yml');
    await writeFile(bad, 'groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: up{ == 0\n');
    const r = await promtool(['check', 'rules', bad]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED|parse error/);
  });

  it('are what the charts ship, selecting targets by a label the platform Services carry', () => {
    const objs = chartObjects({ profile: 'cloud', redisMode: 'sentinel', namespace: 'elsewhere' });
    const rule = objs.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.spec.groups).toEqual(ruleGroups());
    // ServiceMonitors copy app.kubernetes.io/part-of onto the targets (Prometheus writes it with _)
    for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
      expect(sm.spec.targetLabels).toEqual(['app.kubernetes.io/part-of']);
      const service = objs.find((o) => o.kind === 'Service' && o.metadata.name === sm.metadata.name)!;
      expect(service.metadata.labels['app.kubernetes.io/part-of']).toBe('recio');
    }
    const exprs = (rule.spec.groups as Obj[]).flatMap((g) => g.rules.map((r: Obj) => r.expr as string));
    for (const e of exprs.filter((x) => x.startsWith('up'))) expect(e).toContain('app_kubernetes_io_part_of="recio"');
  });

  it('ship every dashboard file as a ConfigMap for the Grafana sidecar', () => {
    const objs = chartObjects({ profile: 'kind', redisMode: 'cluster' });
    const maps = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    const files = grafanaDashboards();
    expect(files.size).toBeGreaterThanOrEqual(4);
    expect(maps.map((m) => Object.keys(m.data)[0])).toEqual([...files.keys()].map((n) => `${n}.json`));
    for (const [name, json] of files) {
      const d = JSON.parse(json) as { uid: string; title: string };
      expect(d.uid).toBe(name);
      expect(d.title).toMatch(/^recio /);
    }
  });
});
