import { describe, expect, it } from 'vitest';
import { KEY_FAMILIES, LIVE_TRADES_KEY, PRICE_CACHE_KEY, RELAY_MARKER_KEY, STREAM_KEY } from './redis-keys.js';
import { entryId, seqOfEntryId } from './stream-ids.js';

describe('Redis key families', () => {
  it("derive each pattern from the family's own builder", () => {
    expect(STREAM_KEY.key('trades:user_0001')).toBe('stream:{trades:user_0001}');
    expect(STREAM_KEY.pattern).toBe('stream:{*}');
    expect(PRICE_CACHE_KEY.pattern).toBe('cache:prices:*:current');
    expect(LIVE_TRADES_KEY.pattern).toBe('cache:trades:*:live');
    expect(RELAY_MARKER_KEY.pattern).toBe(RELAY_MARKER_KEY.key());
  });

  it('have distinct names, and no family pattern matches another family', () => {
    expect(new Set(KEY_FAMILIES.map((f) => f.name)).size).toBe(KEY_FAMILIES.length);
    const glob = (pattern: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
    for (const a of KEY_FAMILIES) {
      const sample = a.key(...Array.from({ length: a.key.length }, () => 'x'));
      expect(glob(a.pattern).test(sample), a.name).toBe(true);
      for (const b of KEY_FAMILIES)
        if (b !== a) expect(glob(b.pattern).test(sample), `${b.name} ∋ ${sample}`).toBe(false);
    }
  });
});

describe('stream entry ids', () => {
  it('are <seq>-0 and read back', () => {
    expect(entryId(42)).toBe('42-0');
    expect(seqOfEntryId('42-0')).toBe(42);
    expect(seqOfEntryId(entryId(9_007_199_254_740_991))).toBe(9_007_199_254_740_991);
    expect(seqOfEntryId('garbage')).toBeNaN();
  });
});
