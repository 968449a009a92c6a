import { DigitalOptionModel } from '@recio/domain';
import { ExchangeClient } from '@recio/exchange-client';
import { consumerGroupOf } from '@recio/platform';
import {
  ExchangeQuotes,
  SettingsCopy,
  poolReader,
  VersionedState,
  type QuoteSource,
  type ServiceContext,
} from '@recio/service-kit';
import type { AutoEntryConfig } from './config.js';
import { EntryScanner, type TickState } from './entry-scanner.js';
import { liveTradeKeys, loadEntryStates } from './entry-state.js';
import { AUTO_ENTRY_TYPES, autoEntryHandler } from './handlers.js';

/** The consumer group of the auto-entry supervisor and what it reads. */
export const AUTO_ENTRY_GROUP = consumerGroupOf('auto-entry-supervisor');

/**
 * auto-entry-supervisor: on every price tick, the strike table (→ `markets:btc`) and each user's
 * auto entries (→ `trade.open_requested`). Quotes come from the exchange; everything else from
 * its own events. `quotes` replaces the exchange (tests).
 */
export async function startAutoEntrySupervisor(
  ctx: ServiceContext<AutoEntryConfig>,
  quotes?: QuoteSource,
): Promise<void> {
  const settings = new SettingsCopy(AUTO_ENTRY_GROUP.name, ctx.logger);
  const reader = poolReader(ctx.pool);
  const state = new VersionedState<TickState>({
    group: AUTO_ENTRY_GROUP.name,
    redis: ctx.router.redis,
    logger: ctx.logger,
    load: async () => {
      const all = await settings.all(reader);
      const users = [...all.keys()];
      return {
        settings: all,
        states: await loadEntryStates(reader, users, false),
        live: await liveTradeKeys(reader, users),
      };
    },
  });
  const scanner = new EntryScanner({
    quotes:
      quotes ??
      new ExchangeQuotes(
        new ExchangeClient({ baseUrl: ctx.config.EXCHANGE_BASE_URL, maxRetries: 1, timeoutMs: 2_000 }),
      ),
    model: new DigitalOptionModel(),
    settings,
    logger: ctx.logger,
    registry: ctx.registry,
    staleTickMs: ctx.config.STALE_TICK_MS,
    state,
    publishTable: async (table) => {
      await ctx.router.publishLatest('markets:btc', 'strike_table.updated', table, table.at);
    },
  });
  await ctx.consume({
    group: AUTO_ENTRY_GROUP.name,
    channels: [...AUTO_ENTRY_GROUP.channels],
    types: AUTO_ENTRY_TYPES,
    handler: autoEntryHandler(scanner, settings, state),
  });
}
