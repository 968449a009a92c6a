import type { StrikeRow, TradeSnapshot } from '@recio/platform/browser';
import type { ComponentChildren } from 'preact';

/** The statuses of a live trade (active trades; the rest is history). */
export const LIVE_STATUSES = new Set(['pending', 'open', 'closing']);

/** One column of a trade table: its header and what a trade's row shows in it. */
export type Column = [string, (t: TradeSnapshot) => ComponentChildren];

/** A table of trades, one row per trade (`data-trade` is its id), one column per [header, cell]. */
export function TradeTable(props: { testId: string; trades: TradeSnapshot[]; columns: Column[] }) {
  return (
    <table data-testid={props.testId}>
      <thead>
        <tr>
          {props.columns.map(([label]) => (
            <th scope="col" key={label}>
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.trades.map((t) => (
          <tr key={t.id} data-trade={t.id}>
            {props.columns.map(([label, cell]) => (
              <td key={label}>{cell(t)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A trade's pnl now: what selling at the opposite side's ask would bring, less the fees. */
export function livePnl(t: TradeSnapshot, rows: Map<string, StrikeRow>): number | null {
  const row = rows.get(t.marketTicker);
  if (t.buyPriceCents === null || !row) return null;
  const oppositeAsk = t.side === 'yes' ? row.noAsk : row.yesAsk;
  if (oppositeAsk === null) return null;
  return (100 - oppositeAsk - t.buyPriceCents) * t.count - t.feesCents;
}
