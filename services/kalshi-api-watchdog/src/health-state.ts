import type { HealthChange } from '@recio/platform';
import type { CallOutcome, ProbeResult } from './exchange-probe.js';

/** A component's state as one probe saw it. */
export interface ComponentState {
  status: HealthChange['status'];
  detail: string;
  latencyMs: number | null;
}

/** The components a probe judges: `trading` is null when the status could not be read (unknown, not changed). */
export interface ProbeVerdict {
  exchange: ComponentState;
  trading: ComponentState | null;
}

const summary = (what: string, outcome: CallOutcome<unknown>): string =>
  outcome.ok ? `${what} ${outcome.latencyMs} ms` : `${what}: ${outcome.code} (${outcome.message})`;

/**
 * Judges a probe. `exchange`: down when a request got no answer at all (refused, reset, timed
 * out); degraded when one got an error answer (5xx, 429, a malformed body, a refusal) or the
 * slower of the two took longer than `degradedLatencyMs`; up otherwise. `trading`: paused
 * when the exchange says the exchange or trading is inactive, up when both are active.
 */
export function judgeProbe(probe: ProbeResult, degradedLatencyMs: number): ProbeVerdict {
  const calls = [
    ['GET /exchange/status', probe.status],
    [`GET /markets?event_ticker=${probe.eventTicker}`, probe.markets],
  ] as const;
  const detail = calls.map(([what, outcome]) => summary(what, outcome)).join('; ');
  let exchange: ComponentState;
  if (calls.some(([, o]) => !o.ok && o.unreachable)) {
    exchange = { status: 'down', detail: `unreachable: ${detail}`, latencyMs: null };
  } else {
    const latencyMs = Math.max(probe.status.latencyMs, probe.markets.latencyMs);
    if (calls.some(([, o]) => !o.ok)) exchange = { status: 'degraded', detail: `errors: ${detail}`, latencyMs };
    else if (latencyMs > degradedLatencyMs)
      exchange = { status: 'degraded', detail: `slow (over ${degradedLatencyMs} ms): ${detail}`, latencyMs };
    else {
      const listed =
        probe.markets.ok && probe.markets.value.listed === 0 ? `; no market listed for ${probe.eventTicker}` : '';
      exchange = { status: 'up', detail: `${detail}${listed}`, latencyMs };
    }
  }

  let trading: ComponentState | null = null;
  if (probe.status.ok) {
    const s = probe.status.value;
    const resumes = s.exchange_estimated_resume_time ? `, resumes ${s.exchange_estimated_resume_time}` : '';
    const latencyMs = probe.status.latencyMs;
    if (!s.exchange_active) trading = { status: 'paused', detail: `exchange inactive${resumes}`, latencyMs };
    else if (!s.trading_active) trading = { status: 'paused', detail: `trading inactive${resumes}`, latencyMs };
    else trading = { status: 'up', detail: 'exchange and trading active', latencyMs };
  }
  return { exchange, trading };
}
