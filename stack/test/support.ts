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

/**
 * Resolves once every timer set before the call with a delay of at most `ms` has fired: Node runs
 * due timers in order of expiry, and this one expires after all of them. For asserting that
 * nothing happens, e.g. that no restart timer survived `stop()` (one would have spawned by then).
 * That is time passing, so it is a real wait, as short as the claim allows; it synchronises nothing.
 */
export function afterTimersUpTo(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms + 1));
}
