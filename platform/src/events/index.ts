import { channelClass, type ChannelClass } from '@recio/contract';
import type { z } from 'zod';
import { AccountEvent, PositionEvent } from './account.js';
import { MarketEvent } from './markets.js';
import { PriceEvent } from './prices.js';
import { SettingsEvent } from './settings.js';
import { SystemEvent } from './system.js';
import { TradeEvent } from './trades.js';

export * from './account.js';
export * from './markets.js';
export * from './prices.js';
export * from './settings.js';
export * from './system.js';
export * from './trades.js';

/** The event union of every channel class, keyed by class (the part of a channel before `:`). */
export const EVENTS_BY_CLASS = {
  trades: TradeEvent,
  prices: PriceEvent,
  markets: MarketEvent,
  settings: SettingsEvent,
  account: AccountEvent,
  positions: PositionEvent,
  system: SystemEvent,
} as const satisfies Record<ChannelClass, z.ZodType>;

/**
 * The platform's event catalogue, by channel class: each class's `{ type, data }` union as a publisher
 * writes it (zod's input: defaulted fields may be left out). A router typed with it
 * (@recio/service-kit's PlatformRouter) only publishes events of the catalogue.
 */
export type PlatformEvents = { [C in keyof typeof EVENTS_BY_CLASS]: z.input<(typeof EVENTS_BY_CLASS)[C]> };

/** Any typed platform event. */
export type PlatformEvent = z.infer<(typeof EVENTS_BY_CLASS)[keyof typeof EVENTS_BY_CLASS]>;

/** An event whose type or data does not follow its class's schema. */
export class EventSchemaError extends Error {
  readonly code = 'EVENT_SCHEMA';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventSchemaError';
  }
}

/**
 * Checks `{ type, data }` against the schema of `channel`'s class and returns it typed (with
 * defaults filled in). Used by consumers as their `validate` hook and by publishers before they
 * publish, so a malformed event is refused at the edge instead of reaching a handler.
 */
export function parseEvent(channel: string, event: { type: string; data: unknown }): PlatformEvent {
  const cls = channelClass(channel);
  const schema = (EVENTS_BY_CLASS as Record<string, z.ZodType<PlatformEvent>>)[cls];
  if (!schema) throw new EventSchemaError(`no event schema for channel class ${JSON.stringify(cls)}`);
  const result = schema.safeParse({ type: event.type, data: event.data });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EventSchemaError(
      `${event.type} on ${channel}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
      {
        cause: result.error,
      },
    );
  }
  return result.data;
}
