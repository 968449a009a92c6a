import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { buildCharts } from './recio-charts.js';

describe.each(CHART_VARIANTS)('$profile-$redisMode', (variant) => {
  it('synthesizes the same manifests', () => {
    const { charts } = buildCharts(parseChartConfig(variant));
    expect(Object.fromEntries(charts.map((c) => [c.node.id, Testing.synth(c)]))).toMatchSnapshot();
  });
});
