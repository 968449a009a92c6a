import type { GroupState } from '../evaluate.js';
import type { GroupReport } from '../reporter.js';
import type { Condition, EventConsumerStatus } from './event-consumer.js';

/** The CRD's spelling of each state (its enum). */
const STATE: Record<GroupState, NonNullable<EventConsumerStatus['state']>> = {
  UNKNOWN: 'Unknown',
  OK: 'OK',
  SLOW: 'SLOW',
  STALLED: 'STALLED',
};

/** The condition types the controller owns; others (someone else's) are kept as they are. */
export const CONDITION_TYPES = ['Ready', 'Stalled', 'SpecValid'] as const;

type NewCondition = Omit<Condition, 'lastTransitionTime'>;

/** The restarts a stored status shows (0 when it shows none, or something that is no count). */
const restartsOf = (s: EventConsumerStatus | undefined): number =>
  Number.isInteger(s?.restarts) && s!.restarts! >= 0 ? s!.restarts! : 0;

/**
 * `next` with each condition's lastTransitionTime kept from `previous` while its status is the
 * same (API conventions: it moves only when the status does), and conditions of other types
 * left as they were.
 */
function conditions(previous: EventConsumerStatus | undefined, next: NewCondition[], now: string): Condition[] {
  // What is stored was written by anyone, maybe under an older schema: only well-formed conditions count.
  const before = (Array.isArray(previous?.conditions) ? previous.conditions : []).filter(
    (c): c is Condition => typeof c === 'object' && c !== null && typeof c.type === 'string',
  );
  const ours = next.map((c): Condition => {
    const p = before.find((b) => b.type === c.type);
    return { ...c, lastTransitionTime: p?.status === c.status && p.lastTransitionTime ? p.lastTransitionTime : now };
  });
  return [...ours, ...before.filter((b) => !next.some((c) => c.type === b.type))];
}

/** Ready: judged OK and within its thresholds (maxLagSeconds, maxPending). */
function ready(r: GroupReport, lagSeconds: number): NewCondition {
  const w = r.group.stallWindowSeconds;
  switch (r.state) {
    case 'UNKNOWN':
      return { type: 'Ready', status: 'Unknown', reason: 'Evaluating', message: `judged once samples span ${w} s` };
    case 'STALLED':
      return { type: 'Ready', status: 'False', reason: 'Stalled', message: `lag ${r.lag}, nothing applied in ${w} s` };
    case 'SLOW':
      return {
        type: 'Ready',
        status: 'False',
        reason: 'Slow',
        message: `applying, but lag ${r.lag} did not fall in ${w} s`,
      };
    case 'OK':
      if (lagSeconds > r.group.maxLagSeconds)
        return {
          type: 'Ready',
          status: 'False',
          reason: 'LagAboveMax',
          message: `oldest unapplied event ${lagSeconds} s old, above maxLagSeconds ${r.group.maxLagSeconds}`,
        };
      if (r.pending > r.group.maxPending)
        return {
          type: 'Ready',
          status: 'False',
          reason: 'PendingAboveMax',
          message: `${r.pending} entries pending, above maxPending ${r.group.maxPending}`,
        };
      return { type: 'Ready', status: 'True', reason: 'Healthy', message: `lag ${r.lag}, ${lagSeconds} s` };
  }
}

function stalled(r: GroupReport): NewCondition {
  const w = r.group.stallWindowSeconds;
  if (r.state === 'UNKNOWN')
    return { type: 'Stalled', status: 'Unknown', reason: 'Evaluating', message: `judged once samples span ${w} s` };
  if (r.state === 'STALLED')
    return {
      type: 'Stalled',
      status: 'True',
      reason: 'NoProgress',
      message: `lag ${r.lag}, nothing applied in ${w} s`,
    };
  return { type: 'Stalled', status: 'False', reason: 'Progressing', message: `state ${r.state}` };
}

/** An EventConsumer's status after an evaluation of its group; `restarted` is added to the restarts it shows. */
export function evaluatedStatus(
  previous: EventConsumerStatus | undefined,
  report: GroupReport,
  restarted: number,
): EventConsumerStatus {
  const now = new Date(report.at).toISOString();
  // Whole seconds: the status is written when it changes, and a fraction changes every sample.
  const lagSeconds = Math.round(report.lagSeconds);
  return {
    state: STATE[report.state],
    lag: report.lag,
    pending: report.pending,
    lagSeconds,
    observedAt: now,
    restarts: restartsOf(previous) + restarted,
    conditions: conditions(
      previous,
      [
        ready(report, lagSeconds),
        stalled(report),
        { type: 'SpecValid', status: 'True', reason: 'Valid', message: 'spec accepted' },
      ],
      now,
    ),
  };
}

/** An EventConsumer's status when its spec is refused: not controlled, and why. */
export function rejectedStatus(
  previous: EventConsumerStatus | undefined,
  problems: readonly string[],
  at: number,
): EventConsumerStatus {
  const now = new Date(at).toISOString();
  const why = 'not controlled until its spec is valid';
  return {
    state: 'Unknown',
    observedAt: now,
    restarts: restartsOf(previous),
    conditions: conditions(
      previous,
      [
        { type: 'Ready', status: 'Unknown', reason: 'InvalidSpec', message: why },
        { type: 'Stalled', status: 'Unknown', reason: 'InvalidSpec', message: why },
        { type: 'SpecValid', status: 'False', reason: 'InvalidSpec', message: problems.join('; ') },
      ],
      now,
    ),
  };
}

/** Whether two statuses say the same, observedAt aside. */
export function sameStatus(a: EventConsumerStatus | undefined, b: EventConsumerStatus | undefined): boolean {
  const canonical = (s: EventConsumerStatus | undefined) =>
    JSON.stringify([
      s?.state,
      s?.lag,
      s?.pending,
      s?.lagSeconds,
      s?.restarts,
      [...(s?.conditions ?? [])]
        .sort((x, y) => (x.type < y.type ? -1 : 1))
        .map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime]),
    ]);
  return canonical(a) === canonical(b);
}
