import { z } from 'zod';

/** `price.tick` on `prices:btc`: the stored price of one second and what is derived from it. */
export const PriceTick = z.object({
  symbol: z.string().min(1),
  /** The second this price belongs to (feed time, ms; simulated time with the paper world). */
  at: z.number().int().nonnegative(),
  price: z.number().positive(),
  /** Weighted momentum (percent) over 1–30 min; null until there is history. */
  momentum: z.number().nullable(),
  /** Annualised volatility estimated from the recent history; null until there is history. */
  volatility: z.number().nullable(),
  avg1m: z.number().nullable(),
  change1h: z.number().nullable(),
  change3h: z.number().nullable(),
  change1d: z.number().nullable(),
});
export type PriceTick = z.infer<typeof PriceTick>;

/** Every event type of the `prices` class. */
export const PriceEvent = z.discriminatedUnion('type', [
  /** Fires once per stored second of the feed. */
  z.object({ type: z.literal('price.tick'), data: PriceTick }),
]);
export type PriceEvent = z.infer<typeof PriceEvent>;
