import type { ControlledGroup } from './controller.js';
import type { GroupState } from './evaluate.js';
import type { RestartTarget } from './restarter.js';

/** What the leader found of one group in one evaluation. */
export interface GroupReport {
  group: ControlledGroup;
  state: GroupState;
  /** Events committed on its channels that it has not applied. */
  lag: number;
  /** Entries delivered to it and not acknowledged, on the channels it is behind on. */
  pending: number;
  /** Seconds since the oldest event it has not applied committed (the worst class; 0 when caught up). */
  lagSeconds: number;
  /** When the sample was taken (ms). */
  at: number;
  /** Its members restarted in this evaluation. */
  restarted: number;
}

/**
 * Where the controller reports besides its metrics and `system:health` (Kubernetes: each
 * EventConsumer's status and Events; nothing locally). The controller calls it only while it
 * leads, checked before each call. Each method logs its own failures and never throws: a report
 * that did not reach the API server is no reason to stop controlling.
 */
export interface ControllerReporter {
  /** A group's report, after each evaluation. */
  groupEvaluated(report: GroupReport): Promise<void>;
  /** A group's change of state, once announced on `system:health`. */
  stateChanged(group: ControlledGroup, previous: GroupState, state: GroupState, detail: string): Promise<void>;
  /** A stopped member restarted. */
  restarted(group: ControlledGroup, target: RestartTarget, detail: string): Promise<void>;
  /** A restart that failed. */
  restartFailed(group: ControlledGroup, target: RestartTarget, error: unknown): Promise<void>;
  /** The members of a group one sweep deleted as gone, each from a stream (one report per group and sweep). */
  membersDeleted(group: ControlledGroup, deleted: readonly { consumer: string; channel: string }[]): Promise<void>;
  /** Once per evaluation, after the groups' reports: whatever else it keeps in step (Kubernetes: rejected specs). */
  reconcile(): Promise<void>;
}
