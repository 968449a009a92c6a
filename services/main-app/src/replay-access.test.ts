import { describe, expect, it } from 'vitest';
import { mayReadChannel, Since } from './replay-access.js';

describe('mayReadChannel', () => {
  const trader = { userId: 'user_0001', admin: false };

  it("gives a trader their own channels and the shared ones, and nobody else's", () => {
    for (const c of [
      'trades:user_0001',
      'positions:user_0001',
      'settings:user_0001',
      'account:user_0001',
      'prices:btc',
      'markets:btc',
      'system:health',
    ]) {
      expect(mayReadChannel(trader, c), c).toBe(true);
    }
    for (const c of [
      'trades:user_0002',
      'trades:user_00011',
      'trades:user',
      'prices:eth',
      'system:user_0001',
      'markets:user_0001',
      'trades:*',
      'user_0001',
    ]) {
      expect(mayReadChannel(trader, c), c).toBe(false);
    }
  });

  it('gives an admin every channel', () => {
    expect(mayReadChannel({ userId: 'ops', admin: true }, 'trades:user_0002')).toBe(true);
  });
});

describe('Since', () => {
  it('reads seq:N and ISO times with an offset', () => {
    expect(Since.parse('seq:42')).toEqual({ sinceSeq: 42 });
    expect(Since.parse('seq:0')).toEqual({ sinceSeq: 0 });
    expect(Since.parse('2025-08-01T00:00:00Z')).toEqual({ sinceTime: new Date(Date.UTC(2025, 7, 1)) });
    expect(Since.parse('2025-08-01T02:00:00.500+02:00')).toEqual({
      sinceTime: new Date(Date.UTC(2025, 7, 1, 0, 0, 0, 500)),
    });
  });

  it('refuses anything else', () => {
    for (const bad of ['seq:-1', 'seq:1.5', 'seq:', '42', '2025-08-01', '2025-08-01T00:00:00', 'yesterday']) {
      expect(Since.safeParse(bad).success, bad).toBe(false);
    }
  });
});
