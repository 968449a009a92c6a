import { DomainError } from './errors.js';

/** Where a trade is in its life (DOMAIN.md "Trade lifecycle"). */
export type TradeStatus = 'pending' | 'open' | 'closing' | 'closed' | 'expired' | 'error' | 'cancelled';

/** Every status. */
export const TRADE_STATUSES: readonly TradeStatus[] = [
  'pending',
  'open',
  'closing',
  'closed',
  'expired',
  'error',
  'cancelled',
];

/**
 * Statuses no event leaves. `cancelled` is not one: an entry cancelled because its order had no
 * outcome in time may turn out to have filled (its reply was lost), and then the trade opens late.
 */
export const TERMINAL_STATUSES: readonly TradeStatus[] = ['closed', 'error'];

/** Statuses holding (or about to hold) a position: a new entry on the same ticker and side waits. */
export const ACTIVE_STATUSES: readonly TradeStatus[] = ['pending', 'open', 'closing'];

/** How a trade was closed. */
export type CloseMethod = 'manual' | 'auto' | 'expired';

/** What can happen to a trade. */
export type TradeEvent =
  /** The entry order filled. */
  | { type: 'filled' }
  /** The exchange rejected the entry order with this error code. */
  | { type: 'rejected'; code: string }
  /** No answer for the entry order in time. */
  | { type: 'timed_out' }
  /** The exchange, asked after the trade was cancelled, says its entry order filled. */
  | { type: 'late_filled' }
  | { type: 'close_requested'; method: 'manual' | 'auto' }
  | { type: 'close_filled' }
  /** The closing order was rejected; the trade is open again and `reason` is recorded. */
  | { type: 'close_rejected'; reason: string }
  /** The hour of the trade's event closed. */
  | { type: 'hour_closed' }
  /** The exchange reported the settlement. */
  | { type: 'settled' };

/** An event that the trade's current status does not accept. */
export class IllegalTransitionError extends DomainError {
  readonly from: TradeStatus;
  readonly event: TradeEvent['type'];

  constructor(from: TradeStatus, event: TradeEvent['type']) {
    super('ILLEGAL_TRANSITION', `trade in status ${from} cannot take event ${event}`);
    this.from = from;
    this.event = event;
  }
}

/**
 * Exchange error codes that mean "this entry will not happen, nothing went wrong": the trade is
 * cancelled, not an error. Compared after lower-casing and turning spaces into underscores, so
 * "insufficient balance" and "insufficient_balance" both count.
 */
export const CANCELLING_REJECTIONS: ReadonlySet<string> = new Set([
  'insufficient_resting_volume',
  'insufficient_balance',
]);

/** The status an entry order's rejection leads to: `cancelled` for CANCELLING_REJECTIONS, else `error`. */
export function classifyRejection(exchangeErrorCode: string): 'cancelled' | 'error' {
  const normalised = exchangeErrorCode.trim().toLowerCase().replace(/\s+/g, '_');
  return CANCELLING_REJECTIONS.has(normalised) ? 'cancelled' : 'error';
}

/** Whether no event leaves `status`. */
export function isTerminal(status: TradeStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The trade state machine:
 * pending→open (filled), pending→cancelled|error (rejected, by classifyRejection),
 * pending→cancelled (timed_out), cancelled→open (late_filled), open→closing (close_requested), closing→closed (close_filled),
 * closing→open (close_rejected), open→expired (hour_closed), expired→closed (settled).
 * @throws IllegalTransitionError for any other (status, event).
 */
export function transition(status: TradeStatus, event: TradeEvent): TradeStatus {
  switch (status) {
    case 'pending':
      if (event.type === 'filled') return 'open';
      if (event.type === 'rejected') return classifyRejection(event.code);
      if (event.type === 'timed_out') return 'cancelled';
      break;
    case 'open':
      if (event.type === 'close_requested') return 'closing';
      if (event.type === 'hour_closed') return 'expired';
      break;
    case 'closing':
      if (event.type === 'close_filled') return 'closed';
      if (event.type === 'close_rejected') return 'open';
      break;
    case 'expired':
      if (event.type === 'settled') return 'closed';
      break;
    case 'cancelled':
      if (event.type === 'late_filled') return 'open';
      break;
    case 'closed':
    case 'error':
      break;
  }
  throw new IllegalTransitionError(status, event.type);
}

/** The close_method a transition records, or null when it records none. */
export function closeMethodOf(status: TradeStatus, event: TradeEvent): CloseMethod | null {
  if (status === 'open' && event.type === 'close_requested') return event.method;
  if (status === 'expired' && event.type === 'settled') return 'expired';
  return null;
}
