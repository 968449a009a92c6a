import { renderRedisConf } from '@recio/topology';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { REDIS_IMAGE } from './images.js';
import { componentLabels, selectorLabels } from './labels.js';
import { dataVolumeClaim, podDisruptionBudget, resources, restrictedContainer, spreadPods } from './pod-helpers.js';
import { passwordPlaceholder, REDIS_ACL_SECRET, redisAclUsers } from './redis-acl.js';
import { defaultContainer, redisExporterContainer } from './redis-exporter.js';
import { checkPasswordsFilled } from './redis-sentinel-scripts.js';

const NODES = 6;
const NAME = 'redis-cluster';
const REDIS_UID = 999;

/** Host names of the cluster nodes, node 0 first. */
export function clusterNodeHosts(namespace: string): string[] {
  return Array.from({ length: NODES }, (_, i) => `${NAME}-${i}.${NAME}-headless.${namespace}.svc.cluster.local`);
}

/** Addresses of the cluster nodes (REDIS_CLUSTER_NODES). */
export function clusterNodeAddresses(namespace: string): string[] {
  return clusterNodeHosts(namespace).map((h) => `${h}:6379`);
}

const START = `#!/bin/sh
set -eu
SELF="$(hostname).${NAME}-headless.$POD_NAMESPACE.svc.cluster.local"
sed "s|@@SELF_HOST@@|$SELF|g" /config/redis.conf > /data/redis.conf
for f in /secrets/redis-acl/*; do
  k=$(basename "$f"); v=$(cat "$f")
  sed -i "s|@@PW_\${k}@@|\${v}|g" /data/redis.conf
done
${checkPasswordsFilled('/data/redis.conf')}
exec redis-server /data/redis.conf
`;

/**
 * Forms the cluster once: 3 masters + 3 replicas. Safe to re-run: when any node already knows
 * peers or holds slots it exits 0 without touching anything. CLUSTER MEET needs IP addresses,
 * so the node names are resolved first; the nodes then announce their host names. `nodes` are
 * `host:port`; the admin user's password is read from `secretsDir` (the mounted ACL Secret).
 */
export function clusterCreateScript(nodes: readonly string[], secretsDir = '/secrets/redis-acl'): string {
  return `#!/bin/sh
set -eu
export REDISCLI_AUTH="$(cat ${secretsDir}/admin)"
cli() { redis-cli --user admin "$@"; }
NODES="${nodes.join(' ')}"
for n in $NODES; do
  until cli -h "\${n%:*}" -p "\${n##*:}" ping 2>/dev/null | grep -q PONG; do echo "waiting for $n"; sleep 2; done
done
for n in $NODES; do
  info=$(cli -h "\${n%:*}" -p "\${n##*:}" cluster info | tr -d '\\r')
  known=$(echo "$info" | sed -n 's/^cluster_known_nodes://p')
  slots=$(echo "$info" | sed -n 's/^cluster_slots_assigned://p')
  if [ "$known" != "1" ] || [ "$slots" != "0" ]; then echo "cluster already formed ($n knows $known nodes, $slots slots)"; exit 0; fi
done
addrs=""
for n in $NODES; do addrs="$addrs $(getent hosts "\${n%:*}" | awk '{ print $1; exit }'):\${n##*:}"; done
cli --cluster create $addrs --cluster-replicas 1 --cluster-yes
`;
}

/** Redis Cluster: a 6-node StatefulSet and a Job that forms the cluster. */
export class RedisCluster extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    const ns = config.namespace;
    const labels = componentLabels(NAME);
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${NAME}-config`, namespace: ns, labels },
      data: {
        'redis.conf': renderRedisConf({
          bind: ['*', '-::*'],
          protectedMode: false,
          dir: '/data',
          maxmemory: '768mb',
          maxmemoryPolicy: config.redisMaxmemoryPolicy,
          announceHostname: '@@SELF_HOST@@',
          cluster: { enabled: true },
          masterUser: 'replication',
          masterAuth: passwordPlaceholder('replication'),
          users: redisAclUsers(),
        }),
        'redis-start.sh': START,
        'cluster-create.sh': clusterCreateScript(clusterNodeAddresses(ns)),
      },
    });
    new k8s.KubeService(this, 'headless', {
      metadata: { name: `${NAME}-headless`, namespace: ns, labels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: selectorLabels(NAME),
        ports: [
          { name: 'redis', port: 6379, targetPort: k8s.IntOrString.fromNumber(6379) },
          { name: 'bus', port: 16379, targetPort: k8s.IntOrString.fromNumber(16379) },
        ],
      },
    });
    const acl = { name: 'acl', secret: { secretName: REDIS_ACL_SECRET } };
    new k8s.KubeStatefulSet(this, 'nodes', {
      metadata: { name: NAME, namespace: ns, labels },
      spec: {
        serviceName: `${NAME}-headless`,
        replicas: NODES,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selectorLabels(NAME) },
        template: {
          metadata: { labels, annotations: defaultContainer('redis') },
          spec: {
            affinity: spreadPods(config, NAME),
            automountServiceAccountToken: false,
            securityContext: { fsGroup: REDIS_UID },
            containers: [
              {
                name: 'redis',
                image: REDIS_IMAGE,
                command: ['sh', '/config/redis-start.sh'],
                env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
                ports: [
                  { name: 'redis', containerPort: 6379 },
                  { name: 'bus', containerPort: 16379 },
                ],
                resources: resources('250m', '1Gi', '1Gi'),
                securityContext: restrictedContainer(REDIS_UID),
                readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(6379) }, periodSeconds: 5 },
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromNumber(6379) },
                  initialDelaySeconds: 15,
                  periodSeconds: 10,
                },
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'config', mountPath: '/config', readOnly: true },
                  { name: 'acl', mountPath: '/secrets/redis-acl', readOnly: true },
                ],
              },
              redisExporterContainer(),
            ],
            volumes: [{ name: 'config', configMap: { name: `${NAME}-config` } }, acl],
          },
        },
        volumeClaimTemplates: [dataVolumeClaim(config, 'data', '10Gi')],
      },
    });
    // A node and its replica may be out together only if the cluster keeps every slot: one at a time.
    podDisruptionBudget(this, NAME, ns, { maxUnavailable: 1 });

    new k8s.KubeJob(this, 'create', {
      metadata: { name: `${NAME}-create`, namespace: ns, labels: componentLabels(`${NAME}-create`) },
      spec: {
        backoffLimit: 10,
        template: {
          metadata: { labels: componentLabels(`${NAME}-create`) },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'create',
                image: REDIS_IMAGE,
                command: ['sh', '/config/cluster-create.sh'],
                resources: resources('50m', '32Mi', '64Mi'),
                securityContext: restrictedContainer(REDIS_UID),
                volumeMounts: [
                  { name: 'config', mountPath: '/config', readOnly: true },
                  { name: 'acl', mountPath: '/secrets/redis-acl', readOnly: true },
                ],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: `${NAME}-config` } }, acl],
          },
        },
      },
    });
  }
}
