/**
 * How the health controller judges a consumer group (ARCHITECTURE "Health controller"), as pure
 * functions over samples, after Burrow's evaluation of Kafka consumer groups: a window of samples
 * per group, never one reading.
 */

/** A group's state over its window. */
export type GroupState = 'UNKNOWN' | 'OK' | 'SLOW' | 'STALLED';

/** One sample of one group, summed over the channels it reads. */
export interface GroupPoint {
  /** When it was taken (ms). */
  at: number;
  /** Events committed on its channels that it has not applied (PostgreSQL: heads − offsets). */
  lag: number;
  /** Events it has applied in all (the sum of its offsets): what moves when it makes progress. */
  applied: number;
}

/**
 * The state of a group over `window` (oldest first), covering at least `windowMs`:
 * - OK: lag was 0 at some point of the window, or it fell across it;
 * - STALLED: lag above 0 throughout and nothing applied across the window;
 * - SLOW: lag above 0 throughout, events applied, but lag did not fall;
 * - UNKNOWN: the samples do not yet span `windowMs`.
 */
export function groupState(window: readonly GroupPoint[], windowMs: number): GroupState {
  const first = window[0];
  const last = window.at(-1);
  if (!first || !last || last.at - first.at < windowMs) return window.some((p) => p.lag === 0) ? 'OK' : 'UNKNOWN';
  if (window.some((p) => p.lag === 0)) return 'OK';
  if (last.applied === first.applied) return 'STALLED';
  return last.lag < first.lag ? 'OK' : 'SLOW';
}

/** The samples of the last `windowMs` (plus the one just before it, so the window is spanned). */
export function trimWindow<T extends { at: number }>(points: readonly T[], now: number, windowMs: number): T[] {
  let start = points.length - 1;
  while (start > 0 && points[start]!.at > now - windowMs) start -= 1;
  return points.slice(Math.max(0, start));
}

/** One member of a group as Redis sees it on one stream the group is behind on. */
export interface MemberReading {
  consumer: string;
  /** Entries delivered to it and not acknowledged. */
  pending: number;
  /** Milliseconds since it last read or claimed (XINFO CONSUMERS `idle`). */
  idleMs: number;
  /**
   * Whether entries wait on the stream that the group was never delivered while no member read it
   * within claimIdleMs (and this member is not gone): work a live member would have taken.
   */
  undelivered: boolean;
}

/**
 * Whether a member looks stopped on this reading: it holds work (entries delivered to it, or
 * entries waiting that a live member would have read within milliseconds of their doorbell) and has
 * not touched Redis for longer than the consumers' `claimIdleMs`. A member that holds nothing is not
 * stopped, whatever its idle time: that is an idle member, or a gone one (deleted, not restarted).
 */
export function looksStopped(reading: MemberReading, claimIdleMs: number): boolean {
  return reading.idleMs > claimIdleMs && (reading.pending > 0 || reading.undelivered);
}

/**
 * Members found stopped on two evaluations in a row (ARCHITECTURE: "for two evaluations"): one
 * reading could catch a member in a long GC or a slow commit.
 */
export class StoppedTracker {
  /** group → consumer → consecutive evaluations it looked stopped. */
  readonly #streak = new Map<string, Map<string, number>>();

  /** Takes one evaluation's members that looked stopped, per group; returns those stopped twice in a row. */
  evaluate(looked: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> {
    const stopped = new Map<string, Set<string>>();
    for (const [group, streaks] of this.#streak) {
      for (const consumer of streaks.keys()) if (!looked.get(group)?.has(consumer)) streaks.delete(consumer);
      if (streaks.size === 0) this.#streak.delete(group);
    }
    for (const [group, consumers] of looked) {
      let streaks = this.#streak.get(group);
      if (!streaks) this.#streak.set(group, (streaks = new Map<string, number>()));
      for (const consumer of consumers) {
        const n = (streaks.get(consumer) ?? 0) + 1;
        streaks.set(consumer, n);
        if (n >= 2) {
          let set = stopped.get(group);
          if (!set) stopped.set(group, (set = new Set()));
          set.add(consumer);
        }
      }
    }
    return stopped;
  }

  /** Forgets every streak (this replica stopped leading). */
  clear(): void {
    this.#streak.clear();
  }

  /** Forgets a member (it was restarted: a new streak starts from zero). */
  forget(group: string, consumer: string): void {
    this.#streak.get(group)?.delete(consumer);
  }
}
