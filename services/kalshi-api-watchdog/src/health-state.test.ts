import { describe, expect, it } from 'vitest';
import type { CallOutcome, ProbeResult } from './exchange-probe.js';
import { judgeProbe } from './health-state.js';

const EVENT = 'KXBTCD-25JUL1617';
const active = { exchange_active: true, trading_active: true };
const ok = <T>(value: T, latencyMs: number): CallOutcome<T> => ({ ok: true, value, latencyMs });
const failed = (code: string, unreachable: boolean, latencyMs = 5): CallOutcome<never> => ({
  ok: false,
  unreachable,
  code,
  message: code,
  latencyMs,
});
const probe = (status: ProbeResult['status'], markets: ProbeResult['markets']): ProbeResult => ({
  status,
  markets,
  eventTicker: EVENT,
});

describe('judgeProbe', () => {
  it('is up when both answer within the threshold, with the slower latency', () => {
    const v = judgeProbe(probe(ok(active, 40), ok({ listed: 1 }, 120)), 2_000);
    expect(v.exchange).toMatchObject({ status: 'up', latencyMs: 120 });
    expect(v.trading).toMatchObject({ status: 'up', latencyMs: 40 });
  });

  it('is degraded when the slower probe passes the threshold (2001 ms > 2000 ms) but not at it', () => {
    expect(judgeProbe(probe(ok(active, 10), ok({ listed: 1 }, 2_001)), 2_000).exchange).toMatchObject({
      status: 'degraded',
      latencyMs: 2_001,
    });
    expect(judgeProbe(probe(ok(active, 10), ok({ listed: 1 }, 2_000)), 2_000).exchange.status).toBe('up');
  });

  it('is degraded on an error answer and down when a request gets no answer', () => {
    const fiveHundred = judgeProbe(probe(failed('EXCHANGE_UNAVAILABLE', false), ok({ listed: 1 }, 9)), 2_000);
    expect(fiveHundred.exchange).toMatchObject({ status: 'degraded', latencyMs: 9 });
    // the status could not be read: trading is unknown, not changed
    expect(fiveHundred.trading).toBeNull();
    const refused = judgeProbe(probe(ok(active, 3), failed('EXCHANGE_TIMEOUT', true, 5_000)), 2_000);
    expect(refused.exchange).toMatchObject({ status: 'down', latencyMs: null });
    expect(refused.exchange.detail).toMatch(/EXCHANGE_TIMEOUT/);
    expect(refused.trading?.status).toBe('up');
  });

  it('pauses trading when the exchange or trading is inactive', () => {
    const closed = judgeProbe(
      probe(
        ok(
          { exchange_active: false, trading_active: false, exchange_estimated_resume_time: '2025-07-17T08:00:00Z' },
          5,
        ),
        ok({ listed: 0 }, 5),
      ),
      2_000,
    );
    expect(closed.trading).toMatchObject({
      status: 'paused',
      detail: 'exchange inactive, resumes 2025-07-17T08:00:00Z',
    });
    expect(closed.exchange.status).toBe('up');
    expect(closed.exchange.detail).toMatch(/no market listed for KXBTCD-25JUL1617/);
    expect(
      judgeProbe(probe(ok({ exchange_active: true, trading_active: false }, 5), ok({ listed: 1 }, 5)), 2_000).trading,
    ).toMatchObject({ status: 'paused', detail: 'trading inactive' });
  });
});
