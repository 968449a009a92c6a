/**
 * The kind profile's Prometheus configuration, as its ConfigMap ships it, checked by a real promtool
 * (Debian's prometheus package): the configuration with the rule file it loads, laid out as the pod
 * mounts them (one directory), and the rule file alone.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartObjects, configMapData } from '../test/chart-objects.js';
import { PROMETHEUS_RULES_FILE } from './prometheus-config.js';

const run = promisify(execFile);
const promtool = (args: string[]) =>
  run('promtool', args).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe.each(['sentinel', 'cluster'] as const)('the kind Prometheus configuration (%s)', (redisMode) => {
  let dir = '';
  let data: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recio-prometheus-'));
    data = configMapData(chartObjects({ profile: 'kind', redisMode }), 'prometheus-config');
    for (const [file, text] of Object.entries(data)) await writeFile(join(dir, file), text);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check config, rule file included', async () => {
    const r = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(r.out).toContain('SUCCESS');
    expect(r.out).toContain(PROMETHEUS_RULES_FILE);
    expect(r.code).toBe(0);
  });

  it('loads rules that pass promtool check rules', async () => {
    const r = await promtool(['check', 'rules', join(dir, PROMETHEUS_RULES_FILE)]);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('fails the check when the rule file it names is broken (the check reads it)', async () => {
    const broken = join(dir, 'broken');
    await run('mkdir', ['-p', broken]);
    await writeFile(join(broken, 'prometheus.yml'), data['prometheus.yml']!);
    await writeFile(
      join(broken, PROMETHEUS_RULES_FILE),
      'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up{\n',
    );
    const r = await promtool(['check', 'config', join(broken, 'prometheus.yml')]);
    expect(r.code).not.toBe(0);
  });
});
