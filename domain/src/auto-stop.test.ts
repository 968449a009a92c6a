import { describe, expect, it } from 'vitest';
import { stopDecision, type StopCheck } from './auto-stop.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';

const T0 = Date.UTC(2025, 6, 16, 20, 45);
const S = 1000;

function check(patch: {
  side?: 'yes' | 'no';
  at?: number;
  verificationStartedAt?: number | null;
  probability?: number;
  oppositeAsk?: number | null;
  momentum?: number | null;
  autoStop?: Partial<Settings['autoStop']>;
}): StopCheck {
  return {
    trade: {
      side: patch.side ?? 'yes',
      buyPriceCents: 90,
      openedAtMs: T0,
      verificationStartedAtMs: patch.verificationStartedAt == null ? null : T0 + patch.verificationStartedAt * S,
    },
    live: {
      probability: patch.probability ?? 80,
      oppositeAskCents: patch.oppositeAsk === undefined ? 8 : patch.oppositeAsk,
      momentum: patch.momentum ?? null,
    },
    settings: { ...DEFAULT_SETTINGS, autoStop: { ...DEFAULT_SETTINGS.autoStop, ...patch.autoStop } },
    nowMs: T0 + (patch.at ?? 120) * S,
  };
}

describe('stopDecision', () => {
  it('holds while the probability is in range, with the live pnl per contract', () => {
    // 100 − 8 (opposite ask) − 90 (buy) = 2 ¢.
    expect(stopDecision(check({}))).toEqual({ action: 'hold', reason: 'in_range', livePnlPerContractCents: 2 });
    // At exactly the stop probability (40) it is not below: hold.
    expect(stopDecision(check({ probability: 40 })).action).toBe('hold');
    // 100 − 30 − 90 = −20 ¢; no opposite ask → no pnl.
    expect(stopDecision(check({ oppositeAsk: 30 })).livePnlPerContractCents).toBe(-20);
    expect(stopDecision(check({ oppositeAsk: null })).livePnlPerContractCents).toBeNull();
  });

  it('closes below the stop probability once held min_hold_seconds', () => {
    expect(stopDecision(check({ probability: 39.9, at: 59 }))).toMatchObject({ action: 'hold', reason: 'min_hold' });
    expect(stopDecision(check({ probability: 39.9, at: 60 }))).toMatchObject({
      action: 'close',
      reason: 'stop_probability',
    });
  });

  describe('with verification on (15 s)', () => {
    const autoStop = { verificationEnabled: true };

    it('starts a verification on the first breach', () => {
      expect(stopDecision(check({ probability: 30, at: 60, autoStop }))).toMatchObject({
        action: 'start_verification',
        reason: 'stop_probability',
      });
    });

    it('holds during the wait and closes if still breached after it', () => {
      // Started at 60 s: at 74 s 14 s have passed (hold), at 75 s 15 s (close).
      expect(stopDecision(check({ probability: 30, at: 74, verificationStartedAt: 60, autoStop }))).toMatchObject({
        action: 'hold',
        reason: 'verifying',
      });
      expect(stopDecision(check({ probability: 30, at: 75, verificationStartedAt: 60, autoStop }))).toMatchObject({
        action: 'close',
        reason: 'stop_probability',
      });
    });

    it('cancels the verification as soon as the probability recovers', () => {
      expect(stopDecision(check({ probability: 45, at: 70, verificationStartedAt: 60, autoStop }))).toMatchObject({
        action: 'cancel_verification',
        reason: 'recovered',
      });
      // Even after the wait, a recovered probability cancels rather than closes.
      expect(stopDecision(check({ probability: 40, at: 90, verificationStartedAt: 60, autoStop })).action).toBe(
        'cancel_verification',
      );
    });
  });

  it('closes on a momentum spike against the side, at once', () => {
    // +36 points: rising price closes NO trades, even 1 s after opening; YES trades hold.
    expect(stopDecision(check({ side: 'no', momentum: 0.36, at: 1 }))).toMatchObject({
      action: 'close',
      reason: 'momentum_spike',
    });
    expect(stopDecision(check({ side: 'yes', momentum: 0.36, at: 1 })).action).toBe('hold');
    // −36 points closes YES trades; −35.9 does not.
    expect(stopDecision(check({ side: 'yes', momentum: -0.36 }))).toMatchObject({
      action: 'close',
      reason: 'momentum_spike',
    });
    expect(stopDecision(check({ side: 'yes', momentum: -0.359 })).action).toBe('hold');
    expect(stopDecision(check({ side: 'no', momentum: -0.5 })).action).toBe('hold');
    // During a verification the spike still closes.
    expect(
      stopDecision(
        check({
          side: 'no',
          momentum: 0.4,
          probability: 30,
          verificationStartedAt: 100,
          autoStop: { verificationEnabled: true },
        }),
      ).reason,
    ).toBe('momentum_spike');
  });

  it('ignores spikes with the momentum stop off, and everything with auto stop off', () => {
    expect(stopDecision(check({ side: 'no', momentum: 0.5, autoStop: { momentumSpikeEnabled: false } })).action).toBe(
      'hold',
    );
    expect(stopDecision(check({ probability: 1, momentum: -1, autoStop: { enabled: false } }))).toMatchObject({
      action: 'hold',
      reason: 'disabled',
    });
    expect(
      stopDecision(check({ probability: 1, verificationStartedAt: 60, autoStop: { enabled: false } })),
    ).toMatchObject({
      action: 'cancel_verification',
      reason: 'disabled',
    });
  });
});
