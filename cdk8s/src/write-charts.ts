import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChartConfig } from './config.js';
import { synthesizeFiles } from './recio-charts.js';

/** Directory of one variant under the charts root: `<profile>-<redis mode>`. */
export function variantDir(config: Pick<ChartConfig, 'profile' | 'redisMode'>): string {
  return `${config.profile}-${config.redisMode}`;
}

/** Writes one configuration's files into `dir`, removing manifests the code no longer produces. */
export async function writeCharts(config: ChartConfig, dir: string): Promise<string[]> {
  const files = synthesizeFiles(config);
  await mkdir(dir, { recursive: true });
  for (const old of await readdir(dir)) {
    if (old.endsWith('.k8s.yaml') && !files.has(old)) await rm(join(dir, old));
  }
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return [...files.keys()].map((f) => join(dir, f));
}
