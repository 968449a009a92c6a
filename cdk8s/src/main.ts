#!/usr/bin/env node
/**
 * `make synth`: writes every variant's manifests under charts/<profile>-<redis mode>/, and the
 * Grafana dashboards under dashboards/grafana/. The only
 * place that reads configuration from outside: RECIO_CHART_CONFIG may hold a JSON object of
 * ChartConfigInput fields (no profile/redisMode) applied to every variant, e.g. a registry.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findProjectRoot } from '@recio/topology';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { writeDashboards } from './monitoring.js';
import { variantDir, writeCharts } from './write-charts.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const root = findProjectRoot();
  const out = resolve(values.out ?? join(root, 'charts'));
  const overrides: unknown = JSON.parse(process.env['RECIO_CHART_CONFIG'] ?? '{}');
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new Error('RECIO_CHART_CONFIG must be a JSON object');
  }
  for (const variant of CHART_VARIANTS) {
    const config = parseChartConfig({ ...overrides, ...variant });
    const written = await writeCharts(config, join(out, variantDir(config)));
    console.log(`${variantDir(config)}: ${written.length} files`);
  }
  console.log(`dashboards/grafana: ${(await writeDashboards()).length} dashboards`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
