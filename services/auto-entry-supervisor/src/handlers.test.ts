import type { PlatformRecioEvent } from '@recio/service-kit';
import { describe, expect, it } from 'vitest';
import { autoEntryIgnores } from './handlers.js';
import { RequestedTrades } from './requested-trades.js';

const tradeEvent = (type: string, id: string, status = 'pending', from?: string) =>
  ({ type, data: { trade: { id, status }, ...(from === undefined ? {} : { from }) } }) as unknown as PlatformRecioEvent;

describe('the events the auto-entry handler ignores', () => {
  it('ignores only the trade.created of a trade this process requested and has not forgotten', () => {
    const requested = new RequestedTrades();
    const ignores = autoEntryIgnores(requested);
    requested.add('t1');
    expect(ignores(tradeEvent('trade.created', 't1'))).toBe(true);
    // Asked again (the locked path asks once more): the same answer.
    expect(ignores(tradeEvent('trade.created', 't1'))).toBe(true);
    expect(ignores(tradeEvent('trade.created', 't2'))).toBe(false);
    requested.forget('t1');
    expect(ignores(tradeEvent('trade.created', 't1'))).toBe(false);
  });

  it('ignores a trade event that leaves the trade as live, or as ended, as the event before it left it', () => {
    const ignores = autoEntryIgnores(new RequestedTrades());
    const cases: [type: string, status: string, from: string | undefined, ignored: boolean][] = [
      ['trade.opened', 'open', 'pending', true],
      ['trade.opened', 'open', 'cancelled', false], // a late fill: the row was removed
      ['trade.opened', 'open', undefined, false], // published before `from` existed
      ['trade.closing', 'closing', 'open', true],
      ['trade.close_failed', 'open', 'closing', true],
      ['trade.expired', 'expired', 'open', false],
      ['trade.closed', 'closed', 'expired', true],
      ['trade.closed', 'closed', 'closing', false],
      ['trade.cancelled', 'cancelled', 'pending', false],
      ['trade.created', 'pending', undefined, false], // not requested here
    ];
    expect(cases.map(([type, status, from]) => ignores(tradeEvent(type, 't9', status, from)))).toEqual(
      cases.map((c) => c[3]),
    );
  });

  it('forgets the oldest past its bound', () => {
    const requested = new RequestedTrades(2);
    for (const id of ['a', 'b', 'c']) requested.add(id);
    expect([requested.has('a'), requested.has('b'), requested.has('c'), requested.size]).toEqual([
      false,
      true,
      true,
      2,
    ]);
  });
});
