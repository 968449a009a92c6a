import { describe, expect, it } from 'vitest';
import { eventConsumerSchema } from '../../test/chart-manifests.js';
import { validate } from '../../test/openapi-schema.js';
import type { ControlledGroup } from '../controller.js';
import type { GroupReport } from '../reporter.js';
import type { EventConsumerStatus } from './event-consumer.js';
import { evaluatedStatus, rejectedStatus, sameStatus } from './event-consumer-status.js';

const group: ControlledGroup = {
  name: 'trade-manager',
  channels: ['trades:*'],
  deployment: 'trade-manager',
  maxLagSeconds: 5,
  maxPending: 100,
  stallWindowSeconds: 30,
};
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const report = (r: Partial<GroupReport> = {}): GroupReport => ({
  group,
  state: 'OK',
  lag: 0,
  pending: 0,
  lagSeconds: 0,
  at: T0,
  restarted: 0,
  ...r,
});
const condition = (s: EventConsumerStatus, type: string) => s.conditions?.find((c) => c.type === type);
/** What the API server would say of it, against the CRD that ships. */
const crdErrors = (status: EventConsumerStatus) =>
  validate(eventConsumerSchema(), { spec: { ...group, group: group.name }, status }, '');

describe('evaluatedStatus', () => {
  it('spells the states as the CRD does, and every status it makes is one the CRD accepts', () => {
    for (const [state, spelled] of [
      ['UNKNOWN', 'Unknown'],
      ['OK', 'OK'],
      ['SLOW', 'SLOW'],
      ['STALLED', 'STALLED'],
    ] as const) {
      const s = evaluatedStatus(undefined, report({ state, lag: 3, lagSeconds: 2.6, pending: 1 }), 0);
      expect(s.state).toBe(spelled);
      expect(s.lagSeconds).toBe(3);
      expect(crdErrors(s)).toEqual([]);
    }
    expect(crdErrors(rejectedStatus(undefined, ['spec.deployment: bad'], T0))).toEqual([]);
  });

  it('is Ready when OK within maxLagSeconds and maxPending, and says which threshold it is above', () => {
    const ready = (r: Partial<GroupReport>) => condition(evaluatedStatus(undefined, report(r), 0), 'Ready');
    expect(ready({ lag: 2, lagSeconds: 1 })).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(ready({ lag: 2, lagSeconds: 9 })).toMatchObject({ status: 'False', reason: 'LagAboveMax' });
    expect(ready({ lag: 2, pending: 101 })).toMatchObject({ status: 'False', reason: 'PendingAboveMax' });
    expect(ready({ state: 'SLOW', lag: 4 })).toMatchObject({ status: 'False', reason: 'Slow' });
    expect(ready({ state: 'STALLED', lag: 4 })).toMatchObject({ status: 'False', reason: 'Stalled' });
    expect(ready({ state: 'UNKNOWN' })).toMatchObject({ status: 'Unknown', reason: 'Evaluating' });
  });

  it('is Stalled only when STALLED, and its spec valid', () => {
    const s = evaluatedStatus(undefined, report({ state: 'STALLED', lag: 7 }), 0);
    expect(condition(s, 'Stalled')).toMatchObject({ status: 'True', reason: 'NoProgress' });
    expect(condition(s, 'SpecValid')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(condition(evaluatedStatus(undefined, report({ state: 'SLOW', lag: 7 }), 0), 'Stalled')).toMatchObject({
      status: 'False',
    });
  });

  it('moves lastTransitionTime only when a condition changes status, and keeps conditions it does not own', () => {
    const first = evaluatedStatus(
      {
        conditions: [
          {
            type: 'Audited',
            status: 'True',
            reason: 'ByHand',
            message: 'x',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
      report({ lag: 1 }),
      0,
    );
    const later = evaluatedStatus(first, report({ lag: 3, at: T0 + 60_000 }), 0);
    expect(condition(later, 'Ready')!.lastTransitionTime).toBe(condition(first, 'Ready')!.lastTransitionTime);
    expect(condition(later, 'Ready')!.message).not.toBe(condition(first, 'Ready')!.message);
    const stalled = evaluatedStatus(later, report({ state: 'STALLED', lag: 3, at: T0 + 120_000 }), 0);
    expect(condition(stalled, 'Ready')!.lastTransitionTime).toBe(new Date(T0 + 120_000).toISOString());
    expect(condition(stalled, 'Stalled')!.lastTransitionTime).toBe(new Date(T0 + 120_000).toISOString());
    expect(condition(stalled, 'SpecValid')!.lastTransitionTime).toBe(new Date(T0).toISOString());
    expect(condition(stalled, 'Audited')).toMatchObject({ status: 'True', reason: 'ByHand' });
  });

  it('adds the restarts given to those the status already shows', () => {
    const s = evaluatedStatus({ restarts: 4 }, report(), 2);
    expect(s.restarts).toBe(6);
    expect(evaluatedStatus(s, report(), 0).restarts).toBe(6);
  });

  it('makes a valid status out of a stored one that is not (written by anyone, under any schema)', () => {
    const garbage = { restarts: '5', conditions: 'none' } as unknown as EventConsumerStatus;
    const s = evaluatedStatus(garbage, report(), 1);
    expect(s.restarts).toBe(1);
    expect(crdErrors(s)).toEqual([]);
    const mixed = { conditions: [null, { status: 'True' }] } as unknown as EventConsumerStatus;
    expect(crdErrors(rejectedStatus(mixed, ['x'], T0))).toEqual([]);
  });
});

describe('rejectedStatus', () => {
  it('says the spec is invalid and why, keeps the restarts, and leaves the rest Unknown', () => {
    const before = evaluatedStatus({ restarts: 2 }, report({ lag: 1 }), 0);
    const s = rejectedStatus(before, ['spec.deployment: expected a Deployment name'], T0 + 1_000);
    expect(s).toMatchObject({ state: 'Unknown', restarts: 2 });
    expect(s.lag).toBeUndefined();
    expect(condition(s, 'SpecValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.deployment: expected a Deployment name',
    });
    expect(condition(s, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'InvalidSpec' });
  });
});

describe('sameStatus', () => {
  it('ignores observedAt and nothing else', () => {
    const a = evaluatedStatus(undefined, report({ lag: 1 }), 0);
    expect(sameStatus(a, { ...a, observedAt: '2030-01-01T00:00:00.000Z' })).toBe(true);
    expect(sameStatus(a, { ...a, lag: 2 })).toBe(false);
    expect(sameStatus(a, { ...a, restarts: 1 })).toBe(false);
    expect(sameStatus(a, { ...a, conditions: [...a.conditions!].reverse() })).toBe(true);
    const moved = a.conditions!.map((c) => ({ ...c, lastTransitionTime: '2030-01-01T00:00:00.000Z' }));
    expect(sameStatus(a, { ...a, conditions: moved })).toBe(false);
    expect(sameStatus(undefined, a)).toBe(false);
  });
});
