import type { Logger } from 'pino';
import type { ControlledGroup } from '../controller.js';
import type { GroupState } from '../evaluate.js';
import type { ControllerReporter, GroupReport } from '../reporter.js';
import type { RestartTarget } from '../restarter.js';
import { EVENT_CONSUMER_API_VERSION, type EventConsumerObject } from './event-consumer.js';
import type { EventConsumerSource } from './event-consumer-source.js';
import { evaluatedStatus, rejectedStatus } from './event-consumer-status.js';
import type { EventRecorder, EventToRecord, ObjectRef } from './event-recorder.js';
import type { StatusWriter } from './status-writer.js';

/** Options of a {@link KubernetesReporter}. */
export interface KubernetesReporterOptions {
  source: Pick<EventConsumerSource, 'forGroup' | 'rejected'>;
  status: Pick<StatusWriter, 'write'>;
  events: Pick<EventRecorder, 'record'>;
  namespace: string;
  logger: Logger;
}

/** The Event of a group's new state (its reason names the state; never UNKNOWN: that is not announced). */
const STATE_EVENT: Record<GroupState, Pick<EventToRecord, 'reason' | 'type'>> = {
  UNKNOWN: { reason: 'ConsumerGroupUnknown', type: 'Normal' },
  OK: { reason: 'ConsumerGroupRecovered', type: 'Normal' },
  SLOW: { reason: 'ConsumerGroupSlow', type: 'Warning' },
  STALLED: { reason: 'ConsumerGroupStalled', type: 'Warning' },
};

const ref = (o: EventConsumerObject): ObjectRef => ({
  apiVersion: EVENT_CONSUMER_API_VERSION,
  kind: 'EventConsumer',
  name: o.metadata.name,
  namespace: o.metadata.namespace,
  uid: o.metadata.uid,
});

/**
 * What the controller reports in Kubernetes: each EventConsumer's status after each evaluation
 * (status-writer.ts), the condition of a refused spec, and an Event for each action and change
 * of state (event-recorder.ts). Restarts not yet shown in a written status are carried to the
 * next write, so the count survives a write that failed.
 */
export class KubernetesReporter implements ControllerReporter {
  readonly #o: KubernetesReporterOptions;
  /** Per group: restarts not yet in a written status. */
  readonly #unrecorded = new Map<string, number>();
  /** Per refused EventConsumer: the uid and problems its InvalidSpec Event told. */
  readonly #announced = new Map<string, string>();

  constructor(options: KubernetesReporterOptions) {
    this.#o = options;
  }

  async groupEvaluated(report: GroupReport): Promise<void> {
    const name = report.group.name;
    const object = this.#o.source.forGroup(name);
    if (!object) return;
    const restarts = (this.#unrecorded.get(name) ?? 0) + report.restarted;
    const outcome = await this.#o.status.write(object.metadata.name, (current) =>
      evaluatedStatus(current.status, report, restarts),
    );
    if (outcome === 'failed') this.#unrecorded.set(name, restarts);
    else this.#unrecorded.delete(name);
  }

  async stateChanged(group: ControlledGroup, previous: GroupState, state: GroupState, detail: string): Promise<void> {
    const object = this.#o.source.forGroup(group.name);
    if (!object) return;
    await this.#o.events.record({
      regarding: ref(object),
      ...STATE_EVENT[state],
      action: 'Evaluate',
      note: `${detail} (was ${previous})`,
    });
  }

  async restarted(group: ControlledGroup, target: RestartTarget, detail: string): Promise<void> {
    const object = this.#o.source.forGroup(group.name);
    await this.#o.events.record({
      regarding: { apiVersion: 'v1', kind: 'Pod', name: target.consumer, namespace: this.#o.namespace },
      ...(object ? { related: ref(object) } : {}),
      type: 'Warning',
      reason: 'ConsumerRestarted',
      action: 'DeletePod',
      note: detail,
    });
  }

  async restartFailed(group: ControlledGroup, target: RestartTarget, error: unknown): Promise<void> {
    const object = this.#o.source.forGroup(group.name);
    if (!object) return;
    await this.#o.events.record({
      regarding: ref(object),
      type: 'Warning',
      reason: 'RestartFailed',
      action: 'DeletePod',
      note: `${target.consumer} (${target.deployment}): ${error instanceof Error ? error.message : String(error)}`,
    });
  }

  async membersDeleted(
    group: ControlledGroup,
    deleted: readonly { consumer: string; channel: string }[],
  ): Promise<void> {
    const object = this.#o.source.forGroup(group.name);
    if (!object) return;
    const list = deleted.map((d) => `${d.consumer} on ${d.channel}`).join(', ');
    await this.#o.events.record({
      regarding: ref(object),
      type: 'Normal',
      reason: 'GoneMembersDeleted',
      action: 'DeleteConsumer',
      note: `${deleted.length} idle member${deleted.length === 1 ? '' : 's'} holding nothing deleted from ${group.name}: ${list}`,
    });
  }

  /** Each refused EventConsumer gets its SpecValid=False condition, and one InvalidSpec Event per problem set. */
  async reconcile(): Promise<void> {
    const rejected = this.#o.source.rejected();
    for (const name of this.#announced.keys())
      if (!rejected.some((r) => r.object.metadata.name === name)) this.#announced.delete(name);
    for (const { object, problems } of rejected) {
      const name = object.metadata.name;
      const at = Date.now();
      await this.#o.status.write(name, (current) => rejectedStatus(current.status, problems, at));
      const told = JSON.stringify([object.metadata.uid, problems]);
      if (this.#announced.get(name) === told) continue;
      this.#announced.set(name, told);
      this.#o.logger.warn({ eventConsumer: name, problems }, 'EventConsumer spec refused: not controlled');
      await this.#o.events.record({
        regarding: ref(object),
        type: 'Warning',
        reason: 'InvalidSpec',
        action: 'ValidateSpec',
        note: `not controlled: ${problems.join('; ')}`,
      });
    }
  }
}
