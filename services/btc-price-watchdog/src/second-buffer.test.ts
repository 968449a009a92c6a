import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecondBuffer, type SecondPrice } from './second-buffer.js';

describe('SecondBuffer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the last tick of each second and finishes it when a later second starts', () => {
    const out: SecondPrice[] = [];
    const buffer = new SecondBuffer(60_000, (s) => out.push(s));
    buffer.push({ time: 10_000, price: 1 });
    buffer.push({ time: 10_400, price: 2 });
    buffer.push({ time: 10_999, price: 3 });
    expect(out).toEqual([]);
    buffer.push({ time: 12_100, price: 4 });
    expect(out).toEqual([{ at: 10_000, price: 3 }]);
    buffer.flush();
    expect(out).toEqual([
      { at: 10_000, price: 3 },
      { at: 12_000, price: 4 },
    ]);
    buffer.close();
  });

  it('finishes a quiet second after quietMs and ignores repeats of finished seconds', () => {
    vi.useFakeTimers();
    const out: SecondPrice[] = [];
    const buffer = new SecondBuffer(250, (s) => out.push(s));
    buffer.finishedThrough(5_000);
    buffer.push({ time: 5_500, price: 9 }); // already stored before a restart: ignored
    buffer.push({ time: 6_000, price: 7 });
    vi.advanceTimersByTime(249);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(out).toEqual([{ at: 6_000, price: 7 }]);
    buffer.push({ time: 6_200, price: 8 }); // the feed repeating the current ticker after a reconnect
    buffer.push({ time: 5_900, price: 8 });
    vi.advanceTimersByTime(1_000);
    expect(out).toEqual([{ at: 6_000, price: 7 }]);
    buffer.close();
  });

  it('drops out-of-order and nonsense ticks', () => {
    const out: SecondPrice[] = [];
    const buffer = new SecondBuffer(60_000, (s) => out.push(s));
    buffer.push({ time: 20_000, price: 5 });
    buffer.push({ time: 19_000, price: 6 });
    buffer.push({ time: Number.NaN, price: 6 });
    buffer.push({ time: 20_500, price: -1 });
    buffer.flush();
    expect(out).toEqual([{ at: 20_000, price: 5 }]);
    buffer.close();
  });
});
