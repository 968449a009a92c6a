import { channelClass, HEALTH_CHANNEL } from '@recio/contract';
import { errorCode, replyFields, streamKey, type RedisClient } from '@recio/router';
import type { PlatformRouter } from '@recio/service-kit';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { controllerMetrics } from './controller-metrics.js';
import { groupState, looksStopped, StoppedTracker, trimWindow, type GroupPoint, type GroupState } from './evaluate.js';
import type { ControllerReporter } from './reporter.js';
import { RestartGuard, type Restarter, type RestartTarget } from './restarter.js';
import { ackApplied, takeSample, type Sample, type WatchedGroup } from './sampler.js';

/** A group the controller watches, with its desired thresholds (an EventConsumer's spec). */
export interface ControlledGroup extends WatchedGroup {
  /** The deployment (service) whose pods run it. */
  deployment: string;
  maxLagSeconds: number;
  maxPending: number;
  stallWindowSeconds: number;
}

/**
 * Leadership: only the holder samples and acts (router's LeaderLock locally, a Lease in
 * Kubernetes: k8s/lease-leadership.ts).
 */
export interface Leadership {
  /** Takes or keeps leadership; resolves to whether this replica leads now. */
  tryAcquire(): Promise<boolean>;
  /** Whether it still leads, as far as it knows now: checked again before every action. */
  readonly held: boolean;
  release(): Promise<void>;
}

/** Options of a {@link HealthController}. */
export interface HealthControllerOptions {
  pool: pg.Pool;
  redis: RedisClient;
  router: Pick<PlatformRouter, 'publish'>;
  registry: Registry;
  logger: Logger;
  /** The groups: fixed (the services catalogue), or read at each evaluation (the EventConsumers). */
  groups: readonly ControlledGroup[] | (() => readonly ControlledGroup[]);
  /** Null: observe and report only (no restarter configured). */
  restarter: Restarter | null;
  leadership: Leadership;
  /** Where else it reports (Kubernetes: status and Events). @defaultValue none */
  reporter?: ControllerReporter;
  claimIdleMs: number;
  startupGraceMs: number;
  restartPerPodMs: number;
  restartSettleMs: number;
  now?: () => number;
}

/** What one evaluation found and did. */
export interface Evaluation {
  leader: boolean;
  states: Map<string, GroupState>;
  /** Members stopped on two evaluations in a row, per group. */
  stopped: Map<string, Set<string>>;
  restarted: RestartTarget[];
  /** Reasons: NO_RESTARTER, SERVERS_UNSETTLED, NOT_LEADING and the guards' (restarter.ts). */
  refused: { target: RestartTarget; reason: string }[];
}

/** What one sweep cleaned up. */
export interface Sweep {
  acked: number;
  deleted: string[];
}

const HEALTH_STATUS = { UNKNOWN: 'degraded', OK: 'up', SLOW: 'degraded', STALLED: 'down' } as const;
const STATES: readonly GroupState[] = ['UNKNOWN', 'OK', 'SLOW', 'STALLED'];

/**
 * The health controller's loop (ARCHITECTURE "Health controller"): each evaluation, the leader
 * samples every group (sampler.ts), judges each over its window (OK / SLOW / STALLED) and each
 * member (STOPPED twice in a row), exports it all, announces a group's change of state on
 * `system:health`, and restarts stopped members behind the guards (restarter.ts). A sweep, less
 * often, acknowledges what dead members held of events already applied and deletes members that
 * are gone and hold nothing. Only the leader acts: a second replica waits for the lock, and the
 * leader checks it still leads before each action (a Lease can lapse during a slow sample).
 */
export class HealthController {
  readonly #o: HealthControllerOptions;
  readonly #now: () => number;
  readonly #windows = new Map<string, GroupPoint[]>();
  readonly #states = new Map<string, GroupState>();
  readonly #tracker = new StoppedTracker();
  readonly #guard: RestartGuard;
  /** Consecutive samples Redis and PostgreSQL both answered (acting needs two). */
  #healthyStreak = 0;
  readonly #m: ReturnType<typeof controllerMetrics>;
  /** The groups and classes of the last evaluation (their metric series). */
  #known = '';
  /** Streams Redis refused in the last sample (`group channel code`): each is logged when it starts. */
  #unread = new Set<string>();
  /** Whether the last evaluation found this replica leading. */
  #led = false;

  constructor(options: HealthControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#guard = new RestartGuard({
      startupGraceMs: options.startupGraceMs,
      perPodMs: options.restartPerPodMs,
      settleMs: options.restartSettleMs,
    });
    this.#m = controllerMetrics(options.registry);
    // Starts at 0 (a dashboard shows none overdue rather than nothing).
    this.#m.overdueRounds.inc({ round: 'evaluation' }, 0);
  }

  /** The groups as of now. */
  #groups(): readonly ControlledGroup[] {
    const g = this.#o.groups;
    return typeof g === 'function' ? g() : g;
  }

  /** Whether this replica may act now (its leadership may have lapsed since the evaluation began). */
  #leading(): boolean {
    return this.#o.leadership.held;
  }

  /** A report to the reporter, while leading; its failures are its own (logged there), never the controller's. */
  async #tell(what: string, report: (r: ControllerReporter) => Promise<void>): Promise<void> {
    const reporter = this.#o.reporter;
    if (!reporter || !this.#leading()) return;
    await report(reporter).catch((err: unknown) => this.#o.logger.warn({ err }, `report failed: ${what}`));
  }

  /** Counts the streams a sample left out, and logs each once when Redis starts refusing it. */
  #noteUnread(unread: Sample['unread']): void {
    const now = new Set<string>();
    for (const u of unread) {
      const code = errorCode(u.error);
      const key = `${u.group} ${u.channel} ${code}`;
      now.add(key);
      this.#m.streamErrors.inc({ code });
      if (!this.#unread.has(key))
        this.#o.logger.warn(
          { err: u.error, group: u.group, channel: u.channel },
          "Redis refuses this stream: left out of the group's judgement (its lag still counts)",
        );
    }
    this.#unread = now;
  }

  /** Forgets the judgements of groups no longer controlled, and drops every group series once the groups change. */
  #track(groups: readonly ControlledGroup[]): void {
    const names = new Set(groups.map((g) => g.name));
    for (const name of this.#windows.keys()) if (!names.has(name)) this.#windows.delete(name);
    for (const name of this.#states.keys()) if (!names.has(name)) this.#states.delete(name);
    const known = JSON.stringify(groups.map((g) => [g.name, g.channels.map(channelClass)]).sort());
    // Series of a group gone would stay at their last values; the others are set again at once.
    if (known !== this.#known)
      for (const m of [this.#m.lag, this.#m.lagSeconds, this.#m.pending, this.#m.state]) m.reset();
    this.#known = known;
  }

  /**
   * A follower forgets what it saw and reports nothing of the groups (the leader does: a follower's
   * last values would keep alerts firing); when it leads, it starts afresh.
   */
  #forget(): void {
    this.#windows.clear();
    this.#states.clear();
    this.#tracker.clear();
    this.#healthyStreak = 0;
    this.#known = '';
    for (const m of [
      this.#m.lag,
      this.#m.lagSeconds,
      this.#m.pending,
      this.#m.state,
      this.#m.memberIdle,
      this.#m.stopped,
    ])
      m.reset();
  }

  /**
   * Gives leadership up because a round has run past its deadline (loop.ts): a replica stuck on a
   * server that does not answer must not keep the others from acting. What the stuck round would
   * still do is refused (every action asks the leadership first); the next round competes again,
   * as a replica that did not lead.
   */
  async stepDown(round: string, runningMs: number): Promise<void> {
    this.#m.overdueRounds.inc({ round });
    this.#o.logger.error({ round, runningMs }, 'round overdue: leadership given up until it ends');
    await this.#o.leadership.release().catch((err: unknown) => this.#o.logger.warn({ err }, 'leadership not released'));
    this.#m.leader.set(0);
    this.#led = false;
    this.#forget();
  }

  /** One evaluation: leadership, a sample, the judgement, the metrics, the actions. */
  async evaluate(): Promise<Evaluation> {
    const result: Evaluation = {
      leader: false,
      states: new Map(),
      stopped: new Map(),
      restarted: [],
      refused: [],
    };
    result.leader = await this.#o.leadership.tryAcquire().catch((err: unknown) => {
      this.#o.logger.warn({ err }, 'leader lock unavailable');
      return false;
    });
    this.#m.leader.set(result.leader ? 1 : 0);
    if (result.leader && !this.#led) this.#guard.lead(this.#now());
    this.#led = result.leader;
    if (!result.leader) {
      this.#forget();
      return result;
    }
    const groups = this.#groups();
    this.#track(groups);
    let sample: Sample;
    const end = this.#m.sampleSeconds.startTimer();
    try {
      sample = await takeSample({ pool: this.#o.pool, redis: this.#o.redis }, groups, this.#o.claimIdleMs, this.#now());
      this.#healthyStreak += 1;
    } catch (err) {
      this.#healthyStreak = 0;
      this.#m.sampleErrors.inc();
      this.#o.logger.warn({ err }, 'sample failed: no judgement, no action');
      return result;
    } finally {
      end();
    }

    this.#noteUnread(sample.unread);

    const looked = new Map<string, Set<string>>();
    this.#m.memberIdle.reset();
    for (const g of groups) {
      const s = sample.groups.get(g.name)!;
      const window = trimWindow(
        [...(this.#windows.get(g.name) ?? []), { at: sample.at, lag: s.lag, applied: s.applied }],
        sample.at,
        g.stallWindowSeconds * 1000,
      );
      this.#windows.set(g.name, window);
      const state = groupState(window, g.stallWindowSeconds * 1000);
      result.states.set(g.name, state);
      for (const cls of new Set(g.channels.map(channelClass))) {
        this.#m.lag.set({ group: g.name, class: cls }, s.lagByClass.get(cls) ?? 0);
        this.#m.lagSeconds.set({ group: g.name, class: cls }, s.lagSecondsByClass.get(cls) ?? 0);
        this.#m.pending.set({ group: g.name, class: cls }, s.pendingByClass.get(cls) ?? 0);
      }
      for (const st of STATES) this.#m.state.set({ group: g.name, state: st }, st === state ? 1 : 0);
      for (const m of s.members.values()) {
        this.#m.memberIdle.set({ group: g.name, consumer: m.consumer }, m.idleMs / 1000);
        if (looksStopped(m, this.#o.claimIdleMs)) {
          let set = looked.get(g.name);
          if (!set) looked.set(g.name, (set = new Set()));
          set.add(m.consumer);
        }
      }
      await this.#announce(g, state, s.lag);
    }
    result.stopped = this.#tracker.evaluate(looked);
    this.#m.stopped.reset();
    for (const [group, consumers] of result.stopped)
      for (const consumer of consumers) this.#m.stopped.set({ group, consumer }, 1);
    await this.#restart(result, sample, groups);
    for (const g of groups) {
      const s = sample.groups.get(g.name)!;
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      await this.#tell('status', (r) =>
        r.groupEvaluated({
          group: g,
          state: result.states.get(g.name) ?? 'UNKNOWN',
          lag: s.lag,
          pending: sum(s.pendingByClass),
          lagSeconds: Math.max(0, ...s.lagSecondsByClass.values()),
          at: sample.at,
          restarted: result.restarted.filter((t) => t.group === g.name).length,
        }),
      );
    }
    await this.#tell('reconcile', (r) => r.reconcile());
    return result;
  }

  /**
   * Every stream of every group: entries its members hold at or below what the group applied are
   * acknowledged (a member that died between its commit and its XACK), and members idle for 10 ×
   * claimIdleMs that hold nothing are deleted. Leader only.
   */
  async sweep(): Promise<Sweep> {
    const out: Sweep = { acked: 0, deleted: [] };
    if (!(await this.#o.leadership.tryAcquire().catch(() => false))) return out;
    const groups = this.#groups();
    const names = groups.map((g) => g.name);
    const { rows } = await this.#o.pool.query<{ group_name: string; channel: string; applied: number }>({
      name: 'recio_controller_offsets',
      text: `SELECT group_name, channel, applied_seq::float8 AS applied FROM consumer_offset WHERE group_name = ANY($1::text[])`,
      values: [names],
    });
    const goneMs = 10 * this.#o.claimIdleMs;
    const gone = new Map<string, { consumer: string; channel: string }[]>();
    for (const r of rows) {
      const key = streamKey(r.channel);
      const consumers = (
        (await this.#o.redis.call('XINFO', 'CONSUMERS', key, r.group_name).catch(() => [])) as unknown[]
      ).map(replyFields);
      let holding = false;
      for (const info of consumers) {
        if (Number(info.pending) > 0) holding = true;
        else if (Number(info.idle) > goneMs && this.#leading()) {
          await this.#o.redis.xgroup('DELCONSUMER', key, r.group_name, String(info.name));
          out.deleted.push(`${r.group_name}/${String(info.name)}@${r.channel}`);
          gone.set(r.group_name, [
            ...(gone.get(r.group_name) ?? []),
            { consumer: String(info.name), channel: r.channel },
          ]);
        }
      }
      if (holding && this.#leading()) out.acked += await ackApplied(this.#o.redis, r.group_name, r.channel, r.applied);
    }
    // One report per group: a quiet group's members can be gone from many streams at once.
    for (const [name, deleted] of gone) {
      const g = groups.find((x) => x.name === name)!;
      await this.#tell('gone members', (rep) => rep.membersDeleted(g, deleted));
    }
    if (out.acked > 0) this.#m.acked.inc(out.acked);
    if (out.deleted.length > 0) this.#m.deleted.inc(out.deleted.length);
    if (out.acked > 0 || out.deleted.length > 0) this.#o.logger.info(out, 'sweep cleaned up after gone members');
    return out;
  }

  /**
   * A group's change of state, on `system:health`. Its first judgement here is news when it is not
   * OK, or when what was last told of it (by this replica before a restart, or by another before a
   * failover) was not: a recovery is always told, or pages would show the group down until its next change.
   */
  async #announce(g: ControlledGroup, state: GroupState, lag: number): Promise<void> {
    let previous = this.#states.get(g.name) ?? 'UNKNOWN';
    if (state === previous || state === 'UNKNOWN') return;
    if (previous === 'UNKNOWN' && state === 'OK') {
      const told = await this.#lastTold(g.name);
      if (told === null) return; // not read: asked again at the next evaluation
      if (told === 'UNKNOWN' || told === 'OK') {
        this.#states.set(g.name, state);
        return;
      }
      previous = told;
    }
    // Recorded once told: a failed publish is tried at the next evaluation.
    const detail = `consumer group ${g.name}: ${state} (lag ${lag})`;
    if (await this.#publish(g.name, state, previous, detail)) {
      this.#states.set(g.name, state);
      await this.#tell('state', (r) => r.stateChanged(g, previous, state, detail));
    }
  }

  /**
   * The state a group was last announced in on `system:health` (UNKNOWN when never), from
   * PostgreSQL; null (logged) when it could not be read.
   */
  async #lastTold(group: string): Promise<GroupState | null> {
    try {
      const { rows } = await this.#o.pool.query<{ status: string }>({
        name: 'recio_controller_last_told',
        text: `SELECT data->>'status' AS status FROM event_log
          WHERE channel = $1 AND type = 'health.changed' AND data->>'component' = $2 ORDER BY seq DESC LIMIT 1`,
        values: [HEALTH_CHANNEL, `consumer-group:${group}`],
      });
      const status = rows[0]?.status;
      return status === HEALTH_STATUS.STALLED
        ? 'STALLED'
        : status === HEALTH_STATUS.SLOW
          ? 'SLOW'
          : status
            ? 'OK'
            : 'UNKNOWN';
    } catch (err) {
      this.#o.logger.warn({ err, group }, 'last health event not read');
      return null;
    }
  }

  /**
   * Publishes a group's `health.changed`; false (logged) when PostgreSQL did not take it, or when
   * this replica stopped leading since the evaluation began (its successor announces).
   */
  async #publish(group: string, state: GroupState, previous: GroupState, detail: string): Promise<boolean> {
    if (!this.#leading()) return false;
    return this.#o.router
      .publish(HEALTH_CHANNEL, 'health.changed', {
        component: `consumer-group:${group}`,
        status: HEALTH_STATUS[state],
        previous: HEALTH_STATUS[previous],
        detail,
        at: this.#now(),
      })
      .then(
        () => true,
        (err: unknown) => {
          this.#o.logger.warn({ err, group }, 'health event not published');
          return false;
        },
      );
  }

  async #restart(result: Evaluation, sample: Sample, groups: readonly ControlledGroup[]): Promise<void> {
    const restarter = this.#o.restarter;
    for (const [group, consumers] of result.stopped) {
      const g = groups.find((x) => x.name === group)!;
      for (const consumer of consumers) {
        const target: RestartTarget = { group, consumer, deployment: g.deployment };
        const reason =
          restarter === null
            ? 'NO_RESTARTER'
            : this.#healthyStreak < 2
              ? 'SERVERS_UNSETTLED'
              : !this.#leading()
                ? 'NOT_LEADING'
                : this.#guard.refusal(target, sample.at);
        if (reason !== null) {
          result.refused.push({ target, reason });
          this.#m.restarts.inc({ group, outcome: 'refused' });
          this.#o.logger.warn({ ...target, reason }, 'stopped consumer not restarted');
          continue;
        }
        const held = sample.groups.get(group)!.members.get(consumer);
        try {
          const outcome = await restarter!.restart(target);
          this.#guard.record(target, sample.at);
          this.#tracker.forget(group, consumer);
          if (outcome === 'gone') {
            // Its pod is gone or replaced: nothing was restarted, so nothing is announced as if it were.
            this.#m.restarts.inc({ group, outcome: 'gone' });
            this.#o.logger.info({ ...target, held }, "stopped consumer's pod already gone: nothing restarted");
            continue;
          }
          result.restarted.push(target);
          this.#m.restarts.inc({ group, outcome: 'restarted' });
          this.#o.logger.warn({ ...target, held }, 'restarted a stopped consumer');
          const state = result.states.get(group) ?? 'UNKNOWN';
          const detail = `restarted ${consumer} (${g.deployment}): holding ${held?.pending ?? 0} pending, idle ${Math.round((held?.idleMs ?? 0) / 1000)} s`;
          await this.#publish(group, state, state, detail);
          await this.#tell('restart', (r) => r.restarted(g, target, detail));
        } catch (err) {
          // Counted against the guards like a restart: a supervisor that fails is not asked every evaluation.
          this.#guard.record(target, sample.at);
          this.#m.restarts.inc({ group, outcome: 'failed' });
          this.#o.logger.error({ err, ...target }, 'restart failed');
          await this.#tell('restart failure', (r) => r.restartFailed(g, target, err));
        }
      }
    }
  }
}
