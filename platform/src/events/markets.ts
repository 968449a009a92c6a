import { z } from 'zod';

/** One row of the strike table (DOMAIN.md "Strike table and probability"). */
export const StrikeRow = z.object({
  ticker: z.string(),
  strike: z.number(),
  buffer: z.number(),
  bufferPct: z.number(),
  ttcSeconds: z.number(),
  activeSide: z.enum(['yes', 'no']),
  yesProbability: z.number(),
  noProbability: z.number(),
  probability: z.number(),
  yesAsk: z.number().int().nullable(),
  noAsk: z.number().int().nullable(),
  yesDiff: z.number().nullable(),
  noDiff: z.number().nullable(),
  diff: z.number().nullable(),
  volume: z.number().int().nonnegative(),
});
export type StrikeRow = z.infer<typeof StrikeRow>;

/** `strike_table.updated` on `markets:btc`: the table of one price tick, for the UI. */
export const StrikeTable = z.object({
  at: z.number().int().nonnegative(),
  eventTicker: z.string(),
  closeAt: z.number().int().nonnegative(),
  price: z.number().positive(),
  momentum: z.number().nullable(),
  rows: z.array(StrikeRow),
});
export type StrikeTable = z.infer<typeof StrikeTable>;

/** Every event type of the `markets` class. */
export const MarketEvent = z.discriminatedUnion('type', [
  /** Fires on every price tick the auto-entry supervisor could quote. */
  z.object({ type: z.literal('strike_table.updated'), data: StrikeTable }),
]);
export type MarketEvent = z.infer<typeof MarketEvent>;
