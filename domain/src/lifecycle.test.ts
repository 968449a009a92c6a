import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  TERMINAL_STATUSES,
  TRADE_STATUSES,
  classifyRejection,
  closeMethodOf,
  isTerminal,
  transition,
  type TradeEvent,
  type TradeStatus,
} from './lifecycle.js';

const EVENTS: TradeEvent[] = [
  { type: 'filled' },
  { type: 'rejected', code: 'insufficient_balance' },
  { type: 'timed_out' },
  { type: 'late_filled' },
  { type: 'close_requested', method: 'manual' },
  { type: 'close_filled' },
  { type: 'close_rejected', reason: 'insufficient_resting_volume' },
  { type: 'hour_closed' },
  { type: 'settled' },
];

/** Every legal (status, event type) and where it leads, as DOMAIN.md lists them. */
const LEGAL: Record<string, TradeStatus> = {
  'pending:filled': 'open',
  'pending:rejected': 'cancelled', // insufficient_balance
  'pending:timed_out': 'cancelled',
  'cancelled:late_filled': 'open',
  'open:close_requested': 'closing',
  'open:hour_closed': 'expired',
  'closing:close_filled': 'closed',
  'closing:close_rejected': 'open',
  'expired:settled': 'closed',
};

describe('transition', () => {
  it('follows every legal transition', () => {
    for (const [key, to] of Object.entries(LEGAL)) {
      const [from, type] = key.split(':') as [TradeStatus, string];
      const event = EVENTS.find((e) => e.type === type) as TradeEvent;
      expect(transition(from, event), key).toBe(to);
    }
  });

  it('rejects every other (status, event) with ILLEGAL_TRANSITION', () => {
    let illegal = 0;
    for (const from of TRADE_STATUSES) {
      for (const event of EVENTS) {
        if (`${from}:${event.type}` in LEGAL) continue;
        illegal += 1;
        let error: unknown;
        try {
          transition(from, event);
        } catch (e) {
          error = e;
        }
        expect(error, `${from}:${event.type}`).toBeInstanceOf(IllegalTransitionError);
        expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', from, event: event.type });
      }
    }
    // 7 statuses × 9 events − 9 legal pairs.
    expect(illegal).toBe(54);
  });

  it('sends a rejected entry to cancelled or error by its code', () => {
    expect(transition('pending', { type: 'rejected', code: 'insufficient_resting_volume' })).toBe('cancelled');
    expect(transition('pending', { type: 'rejected', code: 'market_closed' })).toBe('error');
  });

  it('leaves no terminal status', () => {
    expect(TERMINAL_STATUSES).toEqual(['closed', 'error']);
    for (const status of TRADE_STATUSES) {
      const leaves = EVENTS.some((event) => `${status}:${event.type}` in LEGAL);
      expect(isTerminal(status), status).toBe(!leaves);
    }
  });

  it('records the close method of a close request and of a settlement', () => {
    expect(closeMethodOf('open', { type: 'close_requested', method: 'auto' })).toBe('auto');
    expect(closeMethodOf('open', { type: 'close_requested', method: 'manual' })).toBe('manual');
    expect(closeMethodOf('expired', { type: 'settled' })).toBe('expired');
    expect(closeMethodOf('closing', { type: 'close_filled' })).toBeNull();
  });
});

describe('classifyRejection', () => {
  it('cancels on insufficient volume or balance, in either spelling; errors otherwise', () => {
    expect(classifyRejection('insufficient_resting_volume')).toBe('cancelled');
    expect(classifyRejection('insufficient_balance')).toBe('cancelled');
    expect(classifyRejection('insufficient balance')).toBe('cancelled');
    expect(classifyRejection('INSUFFICIENT_BALANCE')).toBe('cancelled');
    expect(classifyRejection('market_closed')).toBe('error');
    expect(classifyRejection('')).toBe('error');
  });
});
