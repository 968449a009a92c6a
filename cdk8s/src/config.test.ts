import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, parseChartConfig } from './config.js';
import { ChartConfigError } from './errors.js';

describe('parseChartConfig', () => {
  it('fills defaults per profile', () => {
    const kind = parseChartConfig({ profile: 'kind', redisMode: 'sentinel' });
    expect(kind).toMatchObject({
      namespace: 'recio',
      imageTag: '0.1.0',
      ingressHost: 'recio.localtest.me',
      redisMaxmemoryPolicy: 'noeviction',
    });
    expect(kind.ingressTlsSecret).toBeUndefined();
    const cloud = parseChartConfig({ profile: 'cloud', redisMode: 'cluster' });
    expect(cloud).toMatchObject({ ingressHost: 'recio.example.com', ingressTlsSecret: 'recio-tls' });
  });

  it('rejects latest, allkeys eviction, unknown options and bad profiles, naming each', () => {
    const bad = (input: unknown): ChartConfigError => {
      try {
        parseChartConfig(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ChartConfigError);
        return err as ChartConfigError;
      }
      throw new Error('expected a ChartConfigError');
    };
    expect(bad({ profile: 'kind', redisMode: 'sentinel', imageTag: 'latest' }).issues.join()).toMatch(/imageTag/);
    expect(bad({ profile: 'kind', redisMode: 'sentinel', redisMaxmemoryPolicy: 'allkeys-lru' }).issues.join()).toMatch(
      /redisMaxmemoryPolicy/,
    );
    expect(bad({ profile: 'kind', redisMode: 'sentinel', replicas: 3 }).code).toBe('ERR_CDK8S_CONFIG');
    expect(bad({ profile: 'prod', redisMode: 'sentinel' }).issues.join()).toMatch(/profile/);
  });

  it('has four variants', () => {
    expect(CHART_VARIANTS.map((v) => `${v.profile}-${v.redisMode}`)).toEqual([
      'kind-sentinel',
      'kind-cluster',
      'cloud-sentinel',
      'cloud-cluster',
    ]);
  });
});
