import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One GET of a readiness URL: true on a 200 answer, false on anything else (another status, a
 * refused connection, a timeout). A fresh connection each time (`agent: false`) so that no
 * keep-alive socket to a process about to be killed outlives the probe.
 */
export function probeOnce(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let req;
    try {
      req = request(
        url,
        { method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
    } catch {
      resolve(false);
      return;
    }
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200 (resolves true) or `signal` aborts
 * (resolves false). Never rejects: the caller decides what a deadline means.
 */
export async function pollUntilReady(url: string, intervalMs: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (await probeOnce(url, Math.max(intervalMs, 1000))) return !signal.aborted;
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return false;
    }
  }
  return false;
}
