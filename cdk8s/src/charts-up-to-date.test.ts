import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '@recio/topology';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { synthesizeFiles } from './recio-charts.js';
import { variantDir } from './write-charts.js';

const chartsRoot = join(findProjectRoot(), 'charts');

describe.each(CHART_VARIANTS)('charts/$profile-$redisMode', (variant) => {
  it('matches the code (run `make synth` and commit charts/ when this fails)', () => {
    const config = parseChartConfig(variant);
    const dir = join(chartsRoot, variantDir(config));
    const expected = synthesizeFiles(config);
    const onDisk = readdirSync(dir)
      .filter((f) => f.endsWith('.k8s.yaml'))
      .sort();
    expect(onDisk).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });
});
