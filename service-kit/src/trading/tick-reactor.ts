import type { ProbabilityModel } from '@recio/domain';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QuoteSource } from './exchange-quotes.js';
import type { SettingsCopy } from './settings-copy.js';

/** What a supervisor reacting to price ticks needs: quotes, the model, its settings copy. */
export interface TickReactorOptions {
  quotes: QuoteSource;
  model: ProbabilityModel;
  settings: SettingsCopy;
  logger: Logger;
  registry: Registry;
  /** Ticks committed longer ago than this are too old to act on (0: never). */
  staleTickMs: number;
}

/**
 * Whether a tick is too old to act on: after a restart with a backlog, its quotes would be
 * today's and its price a minute old. Wall time against the commit time; 0 turns it off (the
 * e2e's stepped world, where ticks wait for the platform).
 */
export function isStaleTick(event: { ts: number }, staleTickMs: number): boolean {
  return staleTickMs > 0 && Date.now() - event.ts > staleTickMs;
}
