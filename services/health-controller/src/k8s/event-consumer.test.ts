import { describe, expect, it } from 'vitest';
import { eventConsumerSchema, shippedEventConsumers } from '../../test/chart-manifests.js';
import { validate } from '../../test/openapi-schema.js';
import { parseEventConsumerSpec } from './event-consumer.js';

const good = {
  group: 'trade-manager',
  channels: ['trades:*', 'prices:btc', 'account:user_*'],
  deployment: 'trade-manager',
  maxLagSeconds: 5,
  maxPending: 1000,
  stallWindowSeconds: 30,
};

describe('parseEventConsumerSpec', () => {
  it('accepts every EventConsumer the charts ship, as the group the catalogue declares', () => {
    for (const o of shippedEventConsumers()) {
      const spec = o.spec as typeof good;
      expect(parseEventConsumerSpec(spec)).toEqual({
        group: {
          name: spec.group,
          channels: spec.channels,
          deployment: spec.deployment,
          maxLagSeconds: spec.maxLagSeconds,
          maxPending: spec.maxPending,
          stallWindowSeconds: spec.stallWindowSeconds,
        },
      });
    }
  });

  // The CRD's own constraints, checked again (an object stored before its CRD tightened is not
  // checked again by the API server): whatever the shipped CRD refuses, the controller refuses.
  const crdRefuses: [string, Record<string, unknown>][] = [
    ['an upper-case group', { group: 'Trade-manager' }],
    ['a group of 64 characters', { group: 'g'.repeat(64) }],
    ['a group ending in a dash', { group: 'trade-' }],
    ['no channels', { channels: [] }],
    ['a channel with an upper-case name', { channels: ['trades:User_1'] }],
    ['a channel with a star inside', { channels: ['trades:a*b'] }],
    ['an empty deployment', { deployment: '' }],
    ['a Deployment name that is no DNS subdomain', { deployment: 'Trade_Manager' }],
    ['maxLagSeconds 0', { maxLagSeconds: 0 }],
    ['maxPending 0', { maxPending: 0 }],
    ['stallWindowSeconds 4', { stallWindowSeconds: 4 }],
    ['a fractional maxPending', { maxPending: 1.5 }],
    ['a string for maxLagSeconds', { maxLagSeconds: '5' }],
    ['no deployment', { deployment: undefined }],
  ];
  it.each(crdRefuses)('refuses %s, as the shipped CRD does', (_, change) => {
    const spec = { ...good, ...change };
    const schema = eventConsumerSchema().properties!.spec!;
    expect(validate(schema, spec, 'spec')).not.toEqual([]);
    expect(parseEventConsumerSpec(spec)).toHaveProperty('problems');
  });

  // Beyond the CRD: what the controller needs to control the group.
  it.each([
    ['a channel class outside the platform grammar', { channels: ['trade-x:1'] }, /^spec\.channels\[0\]: /],
    ['an unknown channel class', { channels: ['widgets:*'] }, /unknown channel class "widgets"/],
  ])('refuses %s, which the CRD lets through', (_, change, problem) => {
    const spec = { ...good, ...change };
    expect(validate(eventConsumerSchema().properties!.spec!, spec, 'spec')).toEqual([]);
    const parsed = parseEventConsumerSpec(spec);
    expect('problems' in parsed && parsed.problems.some((p) => problem.test(p))).toBe(true);
  });

  it('refuses what is not an object at all, without throwing', () => {
    for (const spec of [undefined, null, 'x', 42, []]) expect(parseEventConsumerSpec(spec)).toHaveProperty('problems');
  });
});
