import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareToCalm, LOG_DIR, runDay, type DayResult } from './harness/day.js';
import { FAULTS } from './harness/faults.js';
import type { PlatformRun } from './harness/platform-run.js';

// `make chaos`: the trading day undisturbed, then once under each fault of faults.ts, and a table
// of how each ended against the undisturbed day. A fault whose day does not end as the calm one
// fails its test (after its row is in the table). The table is printed and written to
// .recio/e2e/fault-table.md (docs/reliability.md holds the last one taken).
const DAY_TIMEOUT_MS = 20 * 60_000;

interface Row {
  fault: string;
  instances: number;
  eventsLost: number;
  appliedTwice: number;
  sameAsCalm: boolean;
  /** Seconds from a fault's end (a process killed, a server back) to the platform at rest with every process up. */
  recovery: { median: number; max: number } | null;
  differences: string[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function rowOf(day: DayResult, calm: DayResult): Row {
  const c = compareToCalm(day, calm);
  const times = day.faults
    .filter((f) => f.recoveredAt !== undefined)
    .map((f) => f.recoveredAt! - f.endedAt)
    .sort((a, b) => a - b);
  return {
    fault: day.name,
    instances: day.faults.length,
    eventsLost: c.eventsLost,
    appliedTwice: c.appliedTwice,
    sameAsCalm: c.sameAsCalm,
    recovery:
      times.length === 0
        ? null
        : { median: seconds(times[Math.floor(times.length / 2)]!), max: seconds(times.at(-1)!) },
    differences: c.differences,
  };
}

function table(rows: Row[]): string {
  const lines = [
    '| fault | times | events lost | applied twice | final state = calm | recovery s (median / max) |',
    '|---|---:|---:|---:|:---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.instances} | ${r.eventsLost} | ${r.appliedTwice} | ${r.sameAsCalm ? 'yes' : `**no**: ${r.differences.join('; ')}`} | ${r.recovery === null ? '–' : `${r.recovery.median} / ${r.recovery.max}`} |`,
    ),
  ];
  return lines.join('\n');
}

describe('the fault table', () => {
  const runs: PlatformRun[] = [];
  const rows: Row[] = [];
  let calm: DayResult | undefined;

  afterAll(async () => {
    for (const run of runs) await run.close();
    if (rows.length === 0) return;
    const text = table(rows);
    writeFileSync(join(LOG_DIR, 'fault-table.md'), `${text}\n`);
    console.log(`\n${text}\n`);
  });

  it(
    'runs the undisturbed day',
    async () => {
      calm = await runDay('calm', runs);
      expect(calm.outcome.deadLetters).toBe(0);
      expect(calm.unconverged).toEqual([]);
      await calm.run.close(); // its ports are the next run's
    },
    DAY_TIMEOUT_MS,
  );

  for (const fault of FAULTS) {
    it(
      `ends as the calm day under: ${fault.name}`,
      async () => {
        expect(calm, 'the undisturbed day').toBeDefined();
        const day = await runDay(fault.name, runs, fault);
        await day.run.close();
        const row = rowOf(day, calm!);
        rows.push(row);
        expect(day.faults.length).toBeGreaterThan(0);
        expect(day.faults.every((f) => f.recoveredAt !== undefined)).toBe(true);
        expect(row).toMatchObject({ eventsLost: 0, appliedTwice: 0, sameAsCalm: true, differences: [] });
      },
      DAY_TIMEOUT_MS,
    );
  }
});
