import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ControlledGroup } from '../controller.js';
import { EventConsumerSource } from './event-consumer-source.js';
import { EventRecorder } from './event-recorder.js';
import { KubernetesReporter } from './kubernetes-reporter.js';
import { KubernetesRestarter } from './kubernetes-restarter.js';
import { LeaseLeadership } from './lease-leadership.js';
import { StatusWriter } from './status-writer.js';

/** Options of {@link startKubernetesPlatform}. */
export interface KubernetesPlatformOptions {
  kubeConfig: KubeConfig;
  /** The controller's namespace: its EventConsumers, the pods it deletes, its Events and Lease. */
  namespace: string;
  /** This replica's pod name: the Lease holder and the Events' reportingInstance. */
  identity: string;
  logger: Logger;
  leaseName?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Deadline of each API call. @defaultValue 5000 */
  requestTimeoutMs?: number;
  statusRefreshMs?: number;
  watchTimeoutSeconds?: number;
}

/** What the controller uses in Kubernetes, started. */
export interface KubernetesPlatform {
  /** The groups of the valid EventConsumers, as of now. */
  groups: () => readonly ControlledGroup[];
  leadership: LeaseLeadership;
  restarter: KubernetesRestarter;
  reporter: KubernetesReporter;
  source: EventConsumerSource;
  /** Gives the Lease up, then stops watching. Idempotent. */
  close(): Promise<void>;
}

/**
 * The Kubernetes side of the controller, wired: groups from the namespace's EventConsumers
 * (listed and watched), leadership by Lease, restarts by deleting the member's pod, and each
 * EventConsumer's status and Events as reports. The first list is waited for (a failure is
 * logged and tried again in the background, the controller having no groups meanwhile).
 */
export async function startKubernetesPlatform(o: KubernetesPlatformOptions): Promise<KubernetesPlatform> {
  const common = { kubeConfig: o.kubeConfig, namespace: o.namespace, requestTimeoutMs: o.requestTimeoutMs ?? 5_000 };
  const source = new EventConsumerSource({
    ...common,
    logger: o.logger.child({ part: 'event-consumers' }),
    ...(o.watchTimeoutSeconds === undefined ? {} : { watchTimeoutSeconds: o.watchTimeoutSeconds }),
  });
  const leadership = new LeaseLeadership({
    ...common,
    identity: o.identity,
    logger: o.logger.child({ part: 'lease' }),
    ...(o.leaseName === undefined ? {} : { name: o.leaseName }),
    ...(o.leaseDurationSeconds === undefined ? {} : { leaseDurationSeconds: o.leaseDurationSeconds }),
    ...(o.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: o.renewDeadlineMs }),
    ...(o.retryPeriodMs === undefined ? {} : { retryPeriodMs: o.retryPeriodMs }),
  });
  // Every acting call asks the Lease first: a replica that stopped leading sends nothing more.
  const mayAct = () => leadership.held;
  const restarter = new KubernetesRestarter({ ...common, mayAct, logger: o.logger.child({ part: 'restarter' }) });
  const status = new StatusWriter({
    ...common,
    mayAct,
    logger: o.logger.child({ part: 'status' }),
    read: (name) => source.get(name),
    ...(o.statusRefreshMs === undefined ? {} : { refreshMs: o.statusRefreshMs }),
  });
  const events = new EventRecorder({ ...common, instance: o.identity, logger: o.logger.child({ part: 'events' }) });
  const reporter = new KubernetesReporter({ source, status, events, namespace: o.namespace, logger: o.logger });
  await source.start();
  let closing: Promise<void> | undefined;
  return {
    groups: () => source.groups(),
    leadership,
    restarter,
    reporter,
    source,
    close: () =>
      (closing ??= (async () => {
        for (const step of [() => leadership.release(), () => source.close()])
          await step().catch((err: unknown) => o.logger.warn({ err }, 'Kubernetes close step failed'));
      })()),
  };
}
