import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { synthesizeObjects } from './recio-charts.js';
import { checkPasswordsFilled } from './redis-sentinel-scripts.js';

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

describe("the start scripts' password check", () => {
  const check = (conf: string) =>
    spawnSync('sh', ['-c', `f=$(mktemp); printf '%s' "$CONF" > "$f"; ${checkPasswordsFilled('"$f"')}; rm -f "$f"`], {
      encoding: 'utf8',
      env: { ...process.env, CONF: conf },
    });

  it('refuses a file with a placeholder left (a user whose key the Secret lacks), naming it', () => {
    const r = check('user admin on >0123abcd +@all\nuser exporter on >@@PW_exporter@@ -@all +info\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('@@PW_exporter@@');
  });

  it('passes a file whose every password was filled in', () => {
    expect(check('user admin on >0123abcd +@all\nuser exporter on >4567ef01 -@all +info\n').status).toBe(0);
  });
});
