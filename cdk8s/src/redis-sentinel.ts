import { renderRedisConf, renderSentinelConf, type RedisConfOptions } from '@recio/topology';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { REDIS_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { dataVolumeClaim, podDisruptionBudget, resources, restrictedContainer, spreadPods } from './pod-helpers.js';
import { passwordPlaceholder, REDIS_ACL_SECRET, redisAclUsers } from './redis-acl.js';
import { defaultContainer, redisExporterContainer } from './redis-exporter.js';
import { redisStartScript, sentinelStartScript } from './redis-sentinel-scripts.js';

/** Name clients pass as REDIS_SENTINEL_NAME. */
export const SENTINEL_MASTER_NAME = 'recio';
const REPLICAS = 3;
const REDIS_UID = 999; // the redis user of the official image

/** Addresses clients use in Sentinel mode. */
export function sentinelAddresses(namespace: string): { redis: string[]; sentinels: string[] } {
  const fqdn = (sts: string, i: number) => `${sts}-${i}.${sts}-headless.${namespace}.svc.cluster.local`;
  return {
    redis: Array.from({ length: REPLICAS }, (_, i) => fqdn('redis', i)),
    sentinels: Array.from({ length: REPLICAS }, (_, i) => fqdn('sentinel', i)),
  };
}

/**
 * Redis with Sentinel: 3 redis (1 master, 2 replicas) and 3 sentinels (quorum 2), each pod
 * announcing its stable host name from a headless Service; AOF everysec + RDB on PVCs.
 */
export class RedisSentinel extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const ns = config.namespace;
    const addr = sentinelAddresses(ns);
    const scriptOptions = { redisHosts: addr.redis, sentinelHosts: addr.sentinels, masterName: SENTINEL_MASTER_NAME };

    const base: RedisConfOptions = {
      bind: ['*', '-::*'],
      protectedMode: false,
      dir: '/data',
      maxmemory: '768mb',
      maxmemoryPolicy: config.redisMaxmemoryPolicy,
      announceHostname: '@@SELF_HOST@@',
      masterUser: 'replication',
      masterAuth: passwordPlaceholder('replication'),
      users: redisAclUsers(),
    };
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'redis-config', namespace: ns, labels: componentLabels('redis') },
      data: {
        'redis-master.conf': renderRedisConf(base),
        'redis-replica.conf': renderRedisConf({ ...base, replicaOf: { host: '@@MASTER_HOST@@', port: 6379 } }),
        'sentinel.conf': renderSentinelConf({
          master: { host: '@@MASTER_HOST@@', port: 6379 },
          bind: ['*', '-::*'],
          dir: '/data',
          masterName: SENTINEL_MASTER_NAME,
          quorum: 2,
          announceIp: '@@SELF_HOST@@',
          authUser: 'sentinel',
          authPass: passwordPlaceholder('sentinel'),
        }),
        'redis-start.sh': redisStartScript(scriptOptions),
        'sentinel-start.sh': sentinelStartScript(scriptOptions),
      },
    });

    this.statefulSet(config, 'redis', 6379, 'redis-start.sh', '10Gi');
    this.statefulSet(config, 'sentinel', 26379, 'sentinel-start.sh', '1Gi');
  }

  private statefulSet(config: ChartConfig, name: string, port: number, script: string, storage: string): void {
    const ns = config.namespace;
    const labels = componentLabels(name);
    // Headless, and publishing not-ready pods: a pod's host name must resolve before it is ready,
    // or Sentinel cannot resolve the master named in its file.
    new k8s.KubeService(this, `${name}-headless`, {
      metadata: { name: `${name}-headless`, namespace: ns, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: selectorLabels(name),
        ports: [{ name, port, targetPort: k8s.IntOrString.fromNumber(port) }],
      },
    });
    const ping = { exec: { command: ['sh', '-c', `redis-cli -p ${port} ping | grep -q PONG`] } };
    new k8s.KubeStatefulSet(this, name, {
      metadata: { name, namespace: ns, labels },
      spec: {
        serviceName: `${name}-headless`,
        replicas: REPLICAS,
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels, ...(name === 'redis' ? { annotations: defaultContainer(name) } : {}) },
          spec: {
            affinity: spreadPods(config, name),
            automountServiceAccountToken: false,
            securityContext: { fsGroup: REDIS_UID },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name,
                image: REDIS_IMAGE,
                command: ['sh', `/config/${script}`],
                ports: [{ name, containerPort: port }],
                resources: name === 'redis' ? resources('250m', '1Gi', '1Gi') : resources('50m', '64Mi', '128Mi'),
                securityContext: restrictedContainer(REDIS_UID),
                // Unauthenticated PING is allowed for sentinels only; redis answers NOAUTH, which still proves it is up.
                readinessProbe:
                  name === 'redis'
                    ? { tcpSocket: { port: k8s.IntOrString.fromNumber(port) }, periodSeconds: 5 }
                    : { ...ping, periodSeconds: 5 },
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromNumber(port) },
                  initialDelaySeconds: 15,
                  periodSeconds: 10,
                },
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'config', mountPath: '/config', readOnly: true },
                  { name: 'acl', mountPath: '/secrets/redis-acl', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              // The data nodes only; sentinels are not scraped.
              ...(name === 'redis' ? [redisExporterContainer()] : []),
            ],
            volumes: [
              { name: 'config', configMap: { name: 'redis-config' } },
              { name: 'acl', secret: { secretName: REDIS_ACL_SECRET } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(config, 'data', storage)],
      },
    });
    podDisruptionBudget(this, name, ns, { minAvailable: 2 });
  }
}
