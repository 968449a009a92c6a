import { getFreePort } from '@recio/topology';

/**
 * A TCP port of 127.0.0.1 that was free a moment ago, for a server a test starts (and may restart
 * on the same port). The launchers' own probe, so tests and launchers agree on what "free" means.
 */
export function freePort(): Promise<number> {
  return getFreePort();
}
