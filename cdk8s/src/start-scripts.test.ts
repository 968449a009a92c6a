import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { synthesizeObjects } from './recio-charts.js';

type Obj = { kind: string; metadata: { name: string }; data?: Record<string, string> };

describe.each(CHART_VARIANTS)('$profile-$redisMode shell scripts', (variant) => {
  const scripts = (synthesizeObjects(parseChartConfig(variant)) as Obj[])
    .filter((o) => o.kind === 'ConfigMap')
    .flatMap((o) => Object.entries(o.data ?? {}).filter(([k]) => k.endsWith('.sh')));

  it('parse with sh -n and stop on the first error', () => {
    expect(scripts.length).toBeGreaterThan(0);
    for (const [name, text] of scripts) {
      expect(text.startsWith('#!/bin/sh\nset -eu\n'), name).toBe(true);
      const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
    }
  });
});
