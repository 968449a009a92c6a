import { SERVICES, type ServiceSpec } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { parseChartConfig } from './config.js';
import { envConfigData } from './env-config.js';
import { UnknownEnvVarError } from './errors.js';
import { serviceEnv } from './service-env.js';

const config = parseChartConfig({ profile: 'kind', redisMode: 'cluster' });

describe('serviceEnv', () => {
  it('fills every variable a service reads, for its Redis mode', () => {
    const relay = SERVICES.find((s) => s.name === 'relay')!;
    const env = serviceEnv(config, relay, envConfigData(config));
    const names = env.map((e) => e.name);
    expect(names).toContain('REDIS_CLUSTER_NODES');
    expect(names).not.toContain('REDIS_SENTINELS');
    expect(env.find((e) => e.name === 'REDIS_USERNAME')?.value).toBe('relay');
    // its own role, the password from its own Secret
    expect(env.find((e) => e.name === 'DATABASE_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'recio-db-relay',
      key: 'password',
    });
    expect(env.find((e) => e.name === 'DATABASE_URL')?.value).toBe(
      'postgresql://recio_relay:$(DATABASE_PASSWORD)@postgres:5432/recio',
    );
  });

  it('refuses a variable it has no source for, naming service and variable', () => {
    const odd: ServiceSpec = { ...SERVICES[0]!, name: 'odd', env: ['NO_SUCH_SETTING'] };
    expect(() => serviceEnv(config, odd, envConfigData(config))).toThrow(UnknownEnvVarError);
    try {
      serviceEnv(config, odd, envConfigData(config));
    } catch (err) {
      expect((err as UnknownEnvVarError).code).toBe('ERR_CDK8S_UNKNOWN_ENV');
      expect((err as Error).message).toMatch(/odd: .*NO_SUCH_SETTING/);
    }
  });
});
