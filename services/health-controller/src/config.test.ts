import { assertEnvironmentTotal } from '@recio/test-support';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgres://u@db:5432/recio', REDIS_URL: 'redis://r:6379' };
// What a pod of the chart's Deployment gets (the kubelet sets KUBERNETES_SERVICE_HOST; the
// downward API POD_NAME and POD_NAMESPACE: platform/src/services.ts, cdk8s/src/service-env.ts).
const pod = {
  ...base,
  KUBERNETES_SERVICE_HOST: '10.96.0.1',
  POD_NAME: 'health-controller-6f7d-x2',
  POD_NAMESPACE: 'recio',
};

describe('loadConfig', () => {
  it('runs locally, as before, outside a cluster and under make dev', () => {
    expect(loadConfig(base).platform).toBe('local');
    expect(loadConfig({ ...base, STACK_CONTROL_URL: 'http://127.0.0.1:7000' }).platform).toBe('local');
    // make dev's supervisor means a local stack, even inside a pod (a CI runner).
    expect(loadConfig({ ...pod, STACK_CONTROL_URL: 'http://127.0.0.1:7000' }).platform).toBe('local');
  });

  it('runs in Kubernetes inside a pod, with the Lease and API defaults', () => {
    expect(loadConfig(pod)).toMatchObject({
      platform: 'kubernetes',
      podName: 'health-controller-6f7d-x2',
      POD_NAMESPACE: 'recio',
      LEASE_NAME: 'health-controller',
      LEASE_DURATION_SECONDS: 15,
      LEASE_RENEW_DEADLINE_MS: 10_000,
      LEASE_RETRY_PERIOD_MS: 2_000,
      KUBERNETES_REQUEST_TIMEOUT_MS: 5_000,
      STATUS_REFRESH_MS: 60_000,
    });
  });

  it('takes CONTROLLER_PLATFORM over the guess', () => {
    expect(loadConfig({ ...pod, CONTROLLER_PLATFORM: 'local' }).platform).toBe('local');
    expect(
      loadConfig({ ...base, CONTROLLER_PLATFORM: 'kubernetes', POD_NAME: 'hc-1', POD_NAMESPACE: 'ns' }).platform,
    ).toBe('kubernetes');
    expect(() => loadConfig({ ...base, CONTROLLER_PLATFORM: 'nomad' })).toThrow(/^CONTROLLER_PLATFORM: /);
  });

  it('needs the namespace and the pod name in Kubernetes (two replicas under the default name would both lead)', () => {
    expect(() => loadConfig({ ...pod, POD_NAMESPACE: '' })).toThrow(/^POD_NAMESPACE: required in Kubernetes/);
    expect(() => loadConfig({ ...pod, POD_NAME: undefined })).toThrow(/^POD_NAME: required in Kubernetes/);
    expect(() => loadConfig({ ...pod, POD_NAMESPACE: 'Recio' })).toThrow(/^POD_NAMESPACE: /);
  });

  it('refuses Lease timings under which a leader could still act after another took over', () => {
    expect(() => loadConfig({ ...pod, LEASE_RENEW_DEADLINE_MS: '15000' })).toThrow(/^LEASE_RENEW_DEADLINE_MS: /);
    expect(() => loadConfig({ ...pod, LEASE_RETRY_PERIOD_MS: '10000' })).toThrow(/^LEASE_RETRY_PERIOD_MS: /);
    // 15 s lease − 10 s renew deadline leaves 5 s for a call started at the deadline.
    expect(() => loadConfig({ ...pod, KUBERNETES_REQUEST_TIMEOUT_MS: '5001' })).toThrow(
      /^KUBERNETES_REQUEST_TIMEOUT_MS: must not exceed .* \(5000 ms\)/,
    );
    expect(loadConfig({ ...pod, KUBERNETES_REQUEST_TIMEOUT_MS: '5000' }).KUBERNETES_REQUEST_TIMEOUT_MS).toBe(5000);
  });

  it('either loads or names the bad variable, whatever the Kubernetes variables hold', () => {
    assertEnvironmentTotal(
      loadConfig,
      pod,
      [
        'CONTROLLER_PLATFORM',
        'POD_NAMESPACE',
        'POD_NAME',
        'LEASE_NAME',
        'LEASE_DURATION_SECONDS',
        'LEASE_RENEW_DEADLINE_MS',
        'LEASE_RETRY_PERIOD_MS',
        'KUBERNETES_REQUEST_TIMEOUT_MS',
        'STATUS_REFRESH_MS',
      ],
      'INVALID_CONFIG',
    );
  });
});
