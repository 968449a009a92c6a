import { ServerStartError } from './errors.js';
import { sleep } from './wait.js';

/** How to watch a starting server. */
export interface ReadinessWatch {
  /** Names the server in errors, e.g. "redis on port 6390". */
  what: string;
  /** Resolves true once the server serves; a rejection counts as "not yet". */
  probe: () => Promise<boolean>;
  /** Undefined while the process runs; how it ended once it has. */
  exitDescription: () => string | undefined;
  /** The server's log tail, appended to errors. */
  logTail: () => string;
  timeoutMs: number;
}

/**
 * Polls the probe until it succeeds. Throws a ServerStartError with the log tail when the process
 * exits first (ERR_TOPOLOGY_SERVER_EXITED) or the timeout passes (ERR_TOPOLOGY_START_TIMEOUT);
 * the process is left as it is.
 */
export async function waitUntilReady(watch: ReadinessWatch): Promise<void> {
  const deadline = Date.now() + watch.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const exit = watch.exitDescription();
    if (exit !== undefined) {
      throw new ServerStartError(
        'ERR_TOPOLOGY_SERVER_EXITED',
        `${watch.what} exited with ${exit} during start-up`,
        watch.logTail(),
      );
    }
    try {
      if (await watch.probe()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : '';
      throw new ServerStartError(
        'ERR_TOPOLOGY_START_TIMEOUT',
        `${watch.what} did not become ready within ${watch.timeoutMs} ms${last}`,
        watch.logTail(),
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(50);
  }
}
