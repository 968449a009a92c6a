import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_TRADE_COUNT, parseSettingsPatch, type SettingsParseResult } from './settings.js';

function errorsOf(result: SettingsParseResult): { field: string; code: string }[] {
  if (result.ok) throw new Error('expected errors');
  return result.errors.map(({ field, code }) => ({ field, code }));
}

describe('settings', () => {
  it('has the DOMAIN.md defaults', () => {
    expect(DEFAULT_SETTINGS).toEqual({
      autoEntry: {
        enabled: false,
        minProbability: 95,
        minDifferential: 0.25,
        minTimeSeconds: 120,
        maxTimeSeconds: 900,
        spikeThreshold: 36,
        cooldownThreshold: 30,
        cooldownMinutes: 15,
        positionSize: 1,
        multiplier: 1,
      },
      autoStop: {
        enabled: true,
        stopProbability: 40,
        minHoldSeconds: 60,
        verificationEnabled: false,
        verificationSeconds: 15,
        momentumSpikeEnabled: true,
      },
    });
    expect(Object.isFrozen(DEFAULT_SETTINGS.autoEntry)).toBe(true);
  });

  it('merges a valid patch without touching the current settings', () => {
    const result = parseSettingsPatch(DEFAULT_SETTINGS, {
      autoEntry: { enabled: true, minProbability: 97.5 },
      autoStop: { verificationEnabled: true },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.settings.autoEntry).toEqual({ ...DEFAULT_SETTINGS.autoEntry, enabled: true, minProbability: 97.5 });
    expect(result.settings.autoStop.verificationEnabled).toBe(true);
    expect(DEFAULT_SETTINGS.autoEntry.enabled).toBe(false);
  });

  it('rejects out-of-range, non-integer and mistyped values with stable codes', () => {
    const result = parseSettingsPatch(DEFAULT_SETTINGS, {
      autoEntry: { positionSize: 0, multiplier: 1.5, minProbability: '95', maxTimeSeconds: 3601, minDifferential: NaN },
      autoStop: { stopProbability: 100.01, enabled: 'yes' },
    });
    expect(errorsOf(result)).toEqual([
      { field: 'autoEntry.positionSize', code: 'OUT_OF_RANGE' },
      { field: 'autoEntry.multiplier', code: 'NOT_AN_INTEGER' },
      { field: 'autoEntry.minProbability', code: 'WRONG_TYPE' },
      { field: 'autoEntry.maxTimeSeconds', code: 'OUT_OF_RANGE' },
      { field: 'autoEntry.minDifferential', code: 'WRONG_TYPE' },
      { field: 'autoStop.stopProbability', code: 'OUT_OF_RANGE' },
      { field: 'autoStop.enabled', code: 'WRONG_TYPE' },
    ]);
  });

  it('accepts the range edges', () => {
    const result = parseSettingsPatch(DEFAULT_SETTINGS, {
      autoEntry: { positionSize: 1000, minProbability: 0, maxTimeSeconds: 3600 },
      autoStop: { stopProbability: 100 },
    });
    expect(result.ok).toBe(true);
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { positionSize: 1001 } }))).toEqual([
      { field: 'autoEntry.positionSize', code: 'OUT_OF_RANGE' },
    ]);
  });

  it('rejects unknown fields and non-objects', () => {
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, null))).toEqual([{ field: '', code: 'NOT_AN_OBJECT' }]);
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: [] }))).toEqual([
      { field: 'autoEntry', code: 'NOT_AN_OBJECT' },
    ]);
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { other: {} }))).toEqual([
      { field: 'other', code: 'UNKNOWN_FIELD' },
    ]);
    const proto = JSON.parse('{"autoEntry":{"__proto__":{"enabled":true},"min_probability":90}}') as unknown;
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, proto))).toEqual([
      { field: 'autoEntry.__proto__', code: 'UNKNOWN_FIELD' },
      { field: 'autoEntry.min_probability', code: 'UNKNOWN_FIELD' },
    ]);
  });

  it('checks min_time ≤ max_time and cooldown ≤ spike threshold on the merged result, blaming the patched field', () => {
    // min 1000 > max 900 (current): the patched min is blamed.
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { minTimeSeconds: 1000 } }))).toEqual([
      { field: 'autoEntry.minTimeSeconds', code: 'INCONSISTENT' },
    ]);
    // max 100 < min 120 (current): the patched max is blamed.
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { maxTimeSeconds: 100 } }))).toEqual([
      { field: 'autoEntry.maxTimeSeconds', code: 'INCONSISTENT' },
    ]);
    // Both moved together consistently: fine. min == max: fine.
    expect(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { minTimeSeconds: 1000, maxTimeSeconds: 1200 } }).ok).toBe(
      true,
    );
    expect(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { minTimeSeconds: 900 } }).ok).toBe(true);
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { cooldownThreshold: 40 } }))).toEqual([
      { field: 'autoEntry.cooldownThreshold', code: 'INCONSISTENT' },
    ]);
    expect(errorsOf(parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { spikeThreshold: 25 } }))).toEqual([
      { field: 'autoEntry.spikeThreshold', code: 'INCONSISTENT' },
    ]);
  });

  it('refuses settings whose auto entry would buy more than a trade may (regression: the entry was made, then dead-lettered by the trade manager)', () => {
    // 200 × 100 = 20,000 contracts: each field in range, the product not.
    const big = parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { positionSize: 200, multiplier: 100 } });
    expect(errorsOf(big)).toEqual([{ field: 'autoEntry.positionSize', code: 'INCONSISTENT' }]);
    const atCap = parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { positionSize: 100, multiplier: 100 } });
    expect(atCap.ok && atCap.settings.autoEntry.positionSize * atCap.settings.autoEntry.multiplier).toBe(
      MAX_TRADE_COUNT,
    );
    // The field patched alone is blamed: the multiplier over a large position size, and the reverse.
    const large = parseSettingsPatch(DEFAULT_SETTINGS, { autoEntry: { positionSize: 1000, multiplier: 10 } });
    const current = large.ok ? large.settings : DEFAULT_SETTINGS;
    expect(errorsOf(parseSettingsPatch(current, { autoEntry: { multiplier: 11 } }))).toEqual([
      { field: 'autoEntry.multiplier', code: 'INCONSISTENT' },
    ]);
    expect(
      errorsOf(parseSettingsPatch(atCap.ok ? atCap.settings : DEFAULT_SETTINGS, { autoEntry: { positionSize: 101 } })),
    ).toEqual([{ field: 'autoEntry.positionSize', code: 'INCONSISTENT' }]);
    // Settings stored before the bound stay editable: a patch that leaves both alone is taken.
    const stored = {
      ...DEFAULT_SETTINGS,
      autoEntry: { ...DEFAULT_SETTINGS.autoEntry, positionSize: 200, multiplier: 100 },
    };
    expect(parseSettingsPatch(stored, { autoEntry: { enabled: false } }).ok).toBe(true);
    expect(errorsOf(parseSettingsPatch(stored, { autoEntry: { multiplier: 99 } }))).toEqual([
      { field: 'autoEntry.multiplier', code: 'INCONSISTENT' },
    ]);
  });
});
