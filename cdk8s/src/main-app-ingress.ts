import { MAIN_APP_PUBLIC_PATHS } from '@recio/platform';
import { k8s } from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import type { ChartConfig } from './config.js';
import { componentLabels } from './labels.js';

/** The main-app Ingress: its public paths (REST, WebSocket, later the UI) on one host, TLS when a certificate Secret is named. */
export class MainAppIngress extends Construct {
  constructor(scope: Construct, id: string, config: ChartConfig) {
    super(scope, id);
    new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: 'main-app',
        namespace: config.namespace,
        labels: componentLabels('main-app'),
        // WebSocket connections outlive nginx's 60 s default.
        annotations: {
          'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
          'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        },
      },
      spec: {
        ingressClassName: config.ingressClassName,
        ...(config.ingressTlsSecret !== undefined
          ? { tls: [{ hosts: [config.ingressHost], secretName: config.ingressTlsSecret }] }
          : {}),
        rules: [
          {
            host: config.ingressHost,
            http: {
              // The public paths only: /metrics, /readyz and /healthz are not routed.
              paths: MAIN_APP_PUBLIC_PATHS.map((p) => ({
                ...p,
                backend: { service: { name: 'main-app', port: { name: 'http' } } },
              })),
            },
          },
        ],
      },
    });
  }
}
