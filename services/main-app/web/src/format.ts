/** Cents as dollars (`−$0.02`), or a dash when unknown. */
export const cents = (c: number | null | undefined) =>
  c === null || c === undefined ? '–' : `${c < 0 ? '−' : ''}$${(Math.abs(c) / 100).toFixed(2)}`;
/** Dollars as the page shows a price. */
export const usd = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
