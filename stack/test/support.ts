import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@recio/test-support';
import type { ProcessSpec } from '../src/supervisor-options.js';

/** Absolute path of a fixture program. */
export function fixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name);
}

/** A fixture service with an HTTP readiness endpoint on a free port. */
export async function fixtureService(
  name: string,
  extra: Partial<ProcessSpec> & { env?: Record<string, string> } = {},
): Promise<ProcessSpec> {
  const port = await freePort();
  return {
    name,
    kind: 'service',
    command: [process.execPath, fixture('service.mjs')],
    readyUrl: `http://127.0.0.1:${port}/readyz`,
    ...extra,
    env: { FIXTURE_NAME: name, PORT: String(port), ...extra.env },
  };
}

/** A fixture oneshot printing `output` (lines separated by `|`) and exiting with `exitCode`. */
export function fixtureOneshot(
  name: string,
  output: string,
  exitCode = 0,
  extra: Partial<ProcessSpec> = {},
): ProcessSpec {
  return {
    name,
    kind: 'oneshot',
    command: [process.execPath, fixture('oneshot.mjs')],
    env: { OUTPUT: output, EXIT_CODE: String(exitCode) },
    ...extra,
  };
}

/** Whether a pid is still a live process. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
