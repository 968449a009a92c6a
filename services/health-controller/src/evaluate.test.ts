import { describe, expect, it } from 'vitest';
import { groupState, looksStopped, StoppedTracker, trimWindow, type GroupPoint } from './evaluate.js';
import { RestartGuard } from './restarter.js';

const points = (...rows: [at: number, lag: number, applied: number][]): GroupPoint[] =>
  rows.map(([at, lag, applied]) => ({ at, lag, applied }));

describe('groupState', () => {
  const W = 30_000;
  it('is UNKNOWN until the samples span the window, unless lag was 0', () => {
    expect(groupState([], W)).toBe('UNKNOWN');
    expect(groupState(points([0, 5, 10], [10_000, 5, 10]), W)).toBe('UNKNOWN');
    expect(groupState(points([0, 0, 10], [10_000, 5, 10]), W)).toBe('OK');
  });
  it('is OK when lag reached 0 in the window, or fell across it', () => {
    expect(groupState(points([0, 5, 10], [15_000, 0, 15], [30_000, 3, 15]), W)).toBe('OK');
    expect(groupState(points([0, 9, 10], [30_000, 4, 40]), W)).toBe('OK');
  });
  it('is STALLED when lag stayed above 0 and nothing was applied', () => {
    expect(groupState(points([0, 5, 10], [15_000, 7, 10], [30_000, 9, 10]), W)).toBe('STALLED');
  });
  it('is SLOW when events were applied but lag did not fall', () => {
    expect(groupState(points([0, 5, 10], [30_000, 5, 20]), W)).toBe('SLOW');
    expect(groupState(points([0, 5, 10], [30_000, 8, 20]), W)).toBe('SLOW');
  });
});

describe('trimWindow', () => {
  it('keeps the last windowMs and the sample just before it', () => {
    const p = points([0, 1, 0], [10, 1, 0], [20, 1, 0], [30, 1, 0]);
    expect(trimWindow(p, 30, 15).map((x) => x.at)).toEqual([10, 20, 30]);
    expect(trimWindow(p, 30, 100).map((x) => x.at)).toEqual([0, 10, 20, 30]);
    expect(trimWindow(p.slice(-1), 30, 15).map((x) => x.at)).toEqual([30]);
  });
});

describe('looksStopped', () => {
  const m = { consumer: 'c', pending: 0, idleMs: 0, undelivered: false };
  it('needs work held (pending, or entries waiting undelivered) and idle past claimIdleMs', () => {
    expect(looksStopped({ ...m, pending: 3, idleMs: 1_001 }, 1_000)).toBe(true);
    expect(looksStopped({ ...m, undelivered: true, idleMs: 1_001 }, 1_000)).toBe(true);
    expect(looksStopped({ ...m, pending: 3, idleMs: 1_000 }, 1_000)).toBe(false);
    // idle for ever but holding nothing: an idle or gone member, never restarted
    expect(looksStopped({ ...m, idleMs: 1e9 }, 1_000)).toBe(false);
  });
});

describe('StoppedTracker', () => {
  const look = (entries: [string, string[]][]) => new Map(entries.map(([g, c]) => [g, new Set(c)]));
  it('reports a member only on its second evaluation in a row', () => {
    const t = new StoppedTracker();
    expect(t.evaluate(look([['g', ['a', 'b']]]))).toEqual(new Map());
    expect(t.evaluate(look([['g', ['a']]]))).toEqual(look([['g', ['a']]]));
    // b's streak was broken; it starts again
    expect(t.evaluate(look([['g', ['a', 'b']]]))).toEqual(look([['g', ['a']]]));
    expect(t.evaluate(look([['g', ['b']]]))).toEqual(look([['g', ['b']]]));
  });
  it('starts afresh for a member it was told to forget (restarted)', () => {
    const t = new StoppedTracker();
    t.evaluate(look([['g', ['a']]]));
    t.forget('g', 'a');
    expect(t.evaluate(look([['g', ['a']]]))).toEqual(new Map());
  });
});

describe('RestartGuard', () => {
  const target = { group: 'g', consumer: 'svc-abc', deployment: 'svc' };
  it('refuses during the start-up grace, then a pod twice within perPodMs, and a deployment within settleMs', () => {
    const guard = new RestartGuard({ startupGraceMs: 1_000, perPodMs: 600_000, settleMs: 60_000 });
    guard.lead(0);
    expect(guard.refusal(target, 999)).toBe('STARTUP_GRACE');
    expect(guard.refusal(target, 1_000)).toBeNull();
    guard.record(target, 1_000);
    expect(guard.refusal(target, 500_000)).toBe('POD_RESTARTED_RECENTLY');
    expect(guard.refusal({ ...target, consumer: 'svc-def' }, 30_000)).toBe('DEPLOYMENT_RESTARTING');
    expect(guard.refusal({ ...target, consumer: 'svc-def' }, 61_000)).toBeNull();
    expect(guard.refusal(target, 601_000)).toBeNull();
    // Leading again (after following for a while): the grace starts again.
    guard.lead(700_000);
    expect(guard.refusal({ ...target, consumer: 'svc-ghi' }, 700_999)).toBe('STARTUP_GRACE');
    expect(guard.refusal({ ...target, consumer: 'svc-ghi' }, 701_000)).toBeNull();
  });
});
