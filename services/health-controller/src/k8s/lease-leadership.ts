import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { InvalidOptionError } from '@recio/router';
import type { Logger } from 'pino';
import type { Leadership } from '../controller.js';
import { API_STATUS, apiStatus, deadline } from './api.js';

/** Options of a {@link LeaseLeadership}. */
export interface LeaseLeadershipOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The Lease's name, one per role. @defaultValue 'health-controller' */
  name?: string;
  /** This replica: its pod name (the Lease's holderIdentity). */
  identity: string;
  logger: Logger;
  /** How long a holder's claim lasts after its last renewal, for the others. @defaultValue 15 */
  leaseDurationSeconds?: number;
  /**
   * How long after the start of its last successful renewal the holder still acts: shorter than
   * the lease, so it has stopped before anyone else may take over. @defaultValue 10000
   */
  renewDeadlineMs?: number;
  /** A holder that renewed less than this long ago answers tryAcquire without asking the API server. @defaultValue 2000 */
  retryPeriodMs?: number;
  /** Deadline of each API call. @defaultValue renewDeadlineMs / 2 */
  requestTimeoutMs?: number;
}

type Spec = NonNullable<V1Lease['spec']>;

// Durations are measured on the monotonic clock: a wall clock stepped by NTP (or a VM resumed)
// must not stretch a leader's time to act or shorten another's wait.
const clock = () => performance.now();

/** A MicroTime as the API returns it: a string (client-node does not turn it into a Date), or ours, a Date. */
const micro = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;

/**
 * Leadership through a coordination.k8s.io/v1 Lease, after client-go's leader election: the
 * holder renews `renewTime`; another replica takes over once it has seen no renewal for
 * `leaseDurationSeconds` by its own clock (never by comparing its clock with the holder's), or
 * at once when the holder released it (empty holderIdentity). Every write carries the
 * resourceVersion read just before: a 409 Conflict means another replica wrote first and this
 * one does not lead. A holder whose renewals fail keeps leading only until `renewDeadlineMs`
 * after the start of its last successful one, which is before the others may take over.
 */
export class LeaseLeadership implements Leadership {
  readonly #o: Required<LeaseLeadershipOptions>;
  readonly #api: CoordinationV1Api;
  /** Until when this replica may act (ms, its monotonic clock); 0 when it does not lead. */
  #validUntil = 0;
  #renewedAt = 0;
  /** Whether the Lease names this replica, as far as it knows (release() then empties it). */
  #claimed = false;
  /** The record last read, and when (its clock) it last changed. */
  #observed: { key: string; at: number; durationMs: number } | undefined;
  #attempt: Promise<boolean> | undefined;

  constructor(options: LeaseLeadershipOptions) {
    const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#o = {
      name: 'health-controller',
      leaseDurationSeconds: 15,
      retryPeriodMs: 2_000,
      requestTimeoutMs: renewDeadlineMs / 2,
      ...options,
      renewDeadlineMs,
    };
    const { leaseDurationSeconds: d, retryPeriodMs: r } = this.#o;
    if (!Number.isInteger(d) || d < 1)
      throw new InvalidOptionError('leaseDurationSeconds', 'expected an integer of at least 1');
    if (!(renewDeadlineMs > 0 && renewDeadlineMs < d * 1000))
      throw new InvalidOptionError(
        'renewDeadlineMs',
        `expected more than 0 and less than leaseDurationSeconds (${d} s)`,
      );
    if (!(r > 0 && r < renewDeadlineMs))
      throw new InvalidOptionError('retryPeriodMs', 'expected more than 0 and less than renewDeadlineMs');
    if (options.identity.length === 0) throw new InvalidOptionError('identity', 'expected the pod name');
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** Whether this replica leads now: it renewed the Lease less than renewDeadlineMs ago. */
  get held(): boolean {
    return clock() < this.#validUntil;
  }

  /** Takes, renews or checks the Lease; resolves to whether this replica leads. One attempt at a time. */
  tryAcquire(): Promise<boolean> {
    this.#attempt ??= this.#tryAcquire().finally(() => (this.#attempt = undefined));
    return this.#attempt;
  }

  async #tryAcquire(): Promise<boolean> {
    if (this.held && clock() - this.#renewedAt < this.#o.retryPeriodMs) return true;
    const started = clock();
    const wall = Date.now(); // what the Lease records (renewTime, acquireTime) is wall-clock time
    const { name, namespace, identity } = this.#o;
    const options = deadline(this.#o.requestTimeoutMs);
    let lease: V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace }, options);
    } catch (err) {
      if (apiStatus(err) !== API_STATUS.NOT_FOUND) return this.#failed(err, 'read');
      try {
        const created = await this.#api.createNamespacedLease(
          { namespace, body: { metadata: { name, namespace }, spec: this.#claim(undefined, wall) } },
          options,
        );
        return this.#won(created, started);
      } catch (e) {
        // Another replica created it first.
        return apiStatus(e) === API_STATUS.CONFLICT ? this.#lost() : this.#failed(e, 'create');
      }
    }
    const spec = lease.spec ?? {};
    this.#observe(spec);
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== identity && !this.#expired()) return this.#lost();
    try {
      const updated = await this.#api.replaceNamespacedLease(
        { name, namespace, body: { ...lease, spec: this.#claim(spec, wall) } },
        options,
      );
      return this.#won(updated, started);
    } catch (err) {
      return apiStatus(err) === API_STATUS.CONFLICT ? this.#lost() : this.#failed(err, 'update');
    }
  }

  /**
   * Gives the Lease up (holderIdentity emptied) so another replica may take it at once, after
   * this one has stopped acting. Idempotent; a failure is logged (the Lease then expires).
   */
  async release(): Promise<void> {
    this.#validUntil = 0;
    await this.#attempt?.catch(() => false);
    this.#validUntil = 0;
    if (!this.#claimed) return;
    this.#claimed = false;
    const { name, namespace, identity } = this.#o;
    const options = deadline(this.#o.requestTimeoutMs);
    try {
      const lease = await this.#api.readNamespacedLease({ name, namespace }, options);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = new V1MicroTime(Date.now());
      await this.#api.replaceNamespacedLease(
        {
          name,
          namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now } },
        },
        options,
      );
      this.#o.logger.info({ lease: name }, 'leader Lease released');
    } catch (err) {
      this.#o.logger.warn({ err, lease: name }, 'leader Lease not released; it expires instead');
    }
  }

  /** The spec that claims or renews the Lease for this replica. */
  #claim(previous: Spec | undefined, at: number): Spec {
    const mine = previous?.holderIdentity === this.#o.identity;
    const now = new V1MicroTime(at);
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: this.#o.leaseDurationSeconds,
      acquireTime: mine && previous.acquireTime ? previous.acquireTime : now,
      renewTime: now,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous !== undefined && !mine ? 1 : 0),
    };
  }

  /** Notes when the record last changed, by this replica's clock. */
  #observe(spec: Spec): void {
    const key = JSON.stringify([spec.holderIdentity, micro(spec.renewTime), spec.leaseTransitions]);
    const durationMs = (spec.leaseDurationSeconds ?? this.#o.leaseDurationSeconds) * 1000;
    if (this.#observed?.key !== key) this.#observed = { key, at: clock(), durationMs };
  }

  #expired(): boolean {
    return this.#observed !== undefined && clock() >= this.#observed.at + this.#observed.durationMs;
  }

  #won(lease: V1Lease, started: number): boolean {
    if (!this.held)
      this.#o.logger.info({ lease: this.#o.name, transitions: lease.spec?.leaseTransitions }, 'leading (Lease held)');
    this.#validUntil = started + this.#o.renewDeadlineMs;
    this.#renewedAt = started;
    this.#claimed = true;
    this.#observe(lease.spec ?? {});
    // An answer that came after the renew deadline leads to nothing: the others may take over soon.
    return this.held;
  }

  #lost(): boolean {
    if (this.#validUntil > 0) this.#o.logger.warn({ lease: this.#o.name }, 'leadership lost to another replica');
    this.#validUntil = 0;
    this.#claimed = false;
    return false;
  }

  /** The API server did not answer as it should: lead on until the renew deadline, no longer. */
  #failed(err: unknown, what: string): boolean {
    this.#o.logger.warn(
      { err, lease: this.#o.name, leadingFor: Math.max(0, this.#validUntil - clock()) },
      `leader Lease ${what} failed`,
    );
    return this.held;
  }
}
