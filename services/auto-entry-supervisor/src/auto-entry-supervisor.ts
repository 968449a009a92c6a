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
import { loadEntryView } from './entry-state.js';
import { AUTO_ENTRY_TYPES, autoEntryHandler, autoEntryIgnores } from './handlers.js';
import { RequestedTrades } from './requested-trades.js';

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
      return { settings: all, ...(await loadEntryView(reader, users, false)) };
    },
  });
  const requested = new RequestedTrades();
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
    requested,
    publishTable: async (table) => {
      await ctx.router.publishLatest('markets:btc', 'strike_table.updated', table, table.at);
    },
  });
  await ctx.consume({
    group: AUTO_ENTRY_GROUP.name,
    channels: [...AUTO_ENTRY_GROUP.channels],
    types: AUTO_ENTRY_TYPES,
    ignores: autoEntryIgnores(requested),
    // Rows of `tx`, requests remembered in tx.onCommit; forgetting a request early only makes
    // `ignores` say false: its offset is checked at COMMIT (docs/consumer.md).
    effects: 'transaction',
    handler: autoEntryHandler(scanner, settings, state, requested),
  });
}
