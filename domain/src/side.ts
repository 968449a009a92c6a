/** A contract side: YES pays $1 when BTC is at or above the strike at the close, NO otherwise. */
export type Side = 'yes' | 'no';

/** Both sides, in a fixed order. */
export const SIDES: readonly Side[] = ['yes', 'no'];

/**
 * The side the strike table trades: `yes` when strike < price, else `no` (DOMAIN.md "Strike
 * table"). At price == strike this says `no` although YES would pay at that price; the rule is
 * kept as the legacy defined it, and the buffer there is 0 so the model says about 50 either way.
 */
export function activeSide(price: number, strike: number): Side {
  return strike < price ? 'yes' : 'no';
}

/** The other side. */
export function oppositeSide(side: Side): Side {
  return side === 'yes' ? 'no' : 'yes';
}

/** Type guard for a side coming from untyped input. */
export function isSide(value: unknown): value is Side {
  return value === 'yes' || value === 'no';
}
