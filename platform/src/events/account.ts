import { z } from 'zod';

const Ms = z.number().int().nonnegative();

/** A fill as mirrored from the exchange. */
export const FillRecord = z.object({
  fillId: z.string(),
  orderId: z.string(),
  ticker: z.string(),
  side: z.enum(['yes', 'no']),
  action: z.enum(['buy', 'sell']),
  count: z.number().int().positive(),
  yesPrice: z.number().int(),
  noPrice: z.number().int(),
  isTaker: z.boolean(),
  feeCents: z.number().int().nullable(),
  createdAt: Ms,
});
export type FillRecord = z.infer<typeof FillRecord>;

/** A market settlement as mirrored from the exchange. */
export const SettlementRecord = z.object({
  ticker: z.string(),
  marketResult: z.enum(['yes', 'no']),
  yesCount: z.number().int().nonnegative(),
  noCount: z.number().int().nonnegative(),
  revenueCents: z.number().int(),
  settledAt: Ms,
});
export type SettlementRecord = z.infer<typeof SettlementRecord>;

/** Every event type of the `account` class, on `account:<user>`. */
export const AccountEvent = z.discriminatedUnion('type', [
  /** The balance changed. */
  z.object({
    type: z.literal('balance.updated'),
    data: z.object({ userId: z.string(), balanceCents: z.number().int() }),
  }),
  /** A fill appeared on the exchange (first time seen). */
  z.object({ type: z.literal('fill.recorded'), data: z.object({ userId: z.string(), fill: FillRecord }) }),
  /** A market the user held settled (first time seen). */
  z.object({
    type: z.literal('settlement.recorded'),
    data: z.object({ userId: z.string(), settlement: SettlementRecord }),
  }),
]);
export type AccountEvent = z.infer<typeof AccountEvent>;

/** A position as mirrored from the exchange (signed: YES positive, NO negative). */
export const PositionRecord = z.object({
  ticker: z.string(),
  position: z.number().int(),
  marketExposureCents: z.number().int(),
  realizedPnlCents: z.number().int(),
  feesPaidCents: z.number().int(),
});
export type PositionRecord = z.infer<typeof PositionRecord>;

/** Every event type of the `positions` class, on `positions:<user>`. */
export const PositionEvent = z.discriminatedUnion('type', [
  /** A position changed (a fill or a settlement). */
  z.object({ type: z.literal('position.updated'), data: z.object({ userId: z.string(), position: PositionRecord }) }),
]);
export type PositionEvent = z.infer<typeof PositionEvent>;
