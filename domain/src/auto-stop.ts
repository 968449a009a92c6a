import { momentumPoints } from './momentum.js';
import type { Settings } from './settings.js';
import type { Side } from './side.js';

/** What the supervisor does with an open trade on this tick. */
export type StopAction = 'hold' | 'start_verification' | 'close' | 'cancel_verification';

/**
 * Why: `stop_probability` (breach, closing or verifying it), `momentum_spike`, `verifying` (breach
 * still inside the verification wait), `recovered` (verification cancelled), `min_hold` (breach
 * but held less than minHoldSeconds), `in_range` (nothing to do), `disabled` (auto stop off).
 */
export type StopReason =
  'stop_probability' | 'momentum_spike' | 'verifying' | 'recovered' | 'min_hold' | 'in_range' | 'disabled';

/** Inputs of {@link stopDecision}. */
export interface StopCheck {
  trade: {
    side: Side;
    buyPriceCents: number;
    openedAtMs: number;
    /** When a verification of a breach started; null when none is running. */
    verificationStartedAtMs: number | null;
  };
  live: {
    /** The model probability (percent) of the trade's side now. */
    probability: number;
    /** Ask of the opposite side (what closing costs), cents; null when nobody offers it. */
    oppositeAskCents: number | null;
    /** Momentum, percent; null without history. */
    momentum: number | null;
  };
  settings: Pick<Settings, 'autoStop'> & { autoEntry: Pick<Settings['autoEntry'], 'spikeThreshold'> };
  nowMs: number;
}

/** The decision and the live pnl per contract (cents; null without an opposite ask). */
export interface StopDecision {
  action: StopAction;
  reason: StopReason;
  livePnlPerContractCents: number | null;
}

/**
 * DOMAIN.md "Auto stop". A momentum spike against the trade (points ≥ +spikeThreshold for NO,
 * ≤ −spikeThreshold for YES) closes at once, whatever the hold time or verification. Otherwise a
 * probability below stopProbability, once the trade has been open minHoldSeconds, closes it; with
 * verification on, the first breach starts a verification, which closes only if the breach is
 * still there verificationSeconds later and is cancelled as soon as the probability recovers.
 * Live pnl per contract = 100 − opposite ask − buy price (cents): selling by buying the opposite.
 */
export function stopDecision(check: StopCheck): StopDecision {
  const { trade, live, nowMs } = check;
  const stop = check.settings.autoStop;
  const livePnlPerContractCents =
    live.oppositeAskCents === null ? null : 100 - live.oppositeAskCents - trade.buyPriceCents;
  const decide = (action: StopAction, reason: StopReason): StopDecision => ({
    action,
    reason,
    livePnlPerContractCents,
  });
  const verifying = trade.verificationStartedAtMs !== null;

  if (!stop.enabled) return verifying ? decide('cancel_verification', 'disabled') : decide('hold', 'disabled');

  if (stop.momentumSpikeEnabled && live.momentum !== null) {
    const points = momentumPoints(live.momentum);
    const threshold = check.settings.autoEntry.spikeThreshold;
    if ((trade.side === 'no' && points >= threshold) || (trade.side === 'yes' && points <= -threshold)) {
      return decide('close', 'momentum_spike');
    }
  }

  if (!(live.probability < stop.stopProbability)) {
    return verifying ? decide('cancel_verification', 'recovered') : decide('hold', 'in_range');
  }
  if (nowMs - trade.openedAtMs < stop.minHoldSeconds * 1000) return decide('hold', 'min_hold');
  if (!stop.verificationEnabled) return decide('close', 'stop_probability');
  if (trade.verificationStartedAtMs === null) return decide('start_verification', 'stop_probability');
  if (nowMs - trade.verificationStartedAtMs >= stop.verificationSeconds * 1000)
    return decide('close', 'stop_probability');
  return decide('hold', 'verifying');
}
