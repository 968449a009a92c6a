import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { InvalidOptionError } from '@recio/router';
import type { Logger } from 'pino';
import { API_STATUS, apiStatus, deadline } from './api.js';
import { EVENT_CONSUMERS, type EventConsumerObject, type EventConsumerStatus } from './event-consumer.js';
import { sameStatus } from './event-consumer-status.js';

/** Options of a {@link StatusWriter}. */
export interface StatusWriterOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  logger: Logger;
  /** The EventConsumer as last seen (the source's cache, which the watch keeps current). */
  read: (name: string) => EventConsumerObject | undefined;
  /**
   * An unchanged status is written again after this long, so that `observedAt` shows the
   * controller is still watching. @defaultValue 60000
   */
  refreshMs?: number;
  /** Writes tried on 409 Conflict (each after reading the object again) before waiting for the next evaluation. @defaultValue 3 */
  maxAttempts?: number;
  /** Deadline of each API call. @defaultValue 5000 */
  requestTimeoutMs?: number;
  now?: () => number;
  /** Asked before each API call: false once this replica may no longer act (its Lease). @defaultValue always true */
  mayAct?: () => boolean;
}

/** What became of one status write. */
export type WriteOutcome = 'written' | 'unchanged' | 'gone' | 'failed';

const DEFAULTS = { refreshMs: 60_000, maxAttempts: 3, requestTimeoutMs: 5_000, now: Date.now, mayAct: () => true };

/**
 * Writes EventConsumers' status through the status subresource (PUT with the resourceVersion it
 * read: optimistic concurrency), only when it says something new or has not been written for
 * `refreshMs`. A 409 Conflict means the object changed since it was read: it is read again, the
 * status computed again from it, and written again, a bounded number of times; then it waits for
 * the next evaluation. Failures are logged, never thrown.
 */
export class StatusWriter {
  readonly #o: Required<StatusWriterOptions>;
  readonly #api: CustomObjectsApi;
  /** Per name: the object this writer's last write returned, and the resourceVersion it replaced. */
  readonly #written = new Map<string, { basedOn: string; object: EventConsumerObject }>();

  constructor(options: StatusWriterOptions) {
    this.#o = { ...DEFAULTS, ...options };
    if (!Number.isInteger(this.#o.maxAttempts) || this.#o.maxAttempts < 1)
      throw new InvalidOptionError('maxAttempts', 'expected an integer of at least 1');
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /**
   * Writes `desired(current)` as the status of EventConsumer `name`; `desired` is called again
   * with the fresh object after a conflict, so it must derive everything from what it is given.
   */
  async write(name: string, desired: (current: EventConsumerObject) => EventConsumerStatus): Promise<WriteOutcome> {
    let current = this.#current(name);
    if (!current) return 'gone';
    const ref = { ...EVENT_CONSUMERS, namespace: this.#o.namespace, name };
    const options = deadline(this.#o.requestTimeoutMs);
    for (let attempt = 1; ; attempt++) {
      const status = desired(current);
      if (sameStatus(status, current.status) && !this.#stale(current.status)) return 'unchanged';
      if (!this.#o.mayAct()) return 'failed';
      try {
        const body = {
          apiVersion: current.apiVersion,
          kind: current.kind,
          metadata: current.metadata,
          spec: current.spec,
          status,
        };
        const written = (await this.#api.replaceNamespacedCustomObjectStatus(
          { ...ref, body },
          options,
        )) as EventConsumerObject;
        this.#written.set(name, { basedOn: current.metadata.resourceVersion, object: written });
        return 'written';
      } catch (err) {
        const code = apiStatus(err);
        if (code === API_STATUS.NOT_FOUND) return this.#gone(name);
        if (code !== API_STATUS.CONFLICT || attempt >= this.#o.maxAttempts) {
          this.#o.logger.warn({ err, eventConsumer: name, attempt }, 'EventConsumer status not written');
          return 'failed';
        }
        this.#o.logger.debug({ eventConsumer: name, attempt }, 'EventConsumer changed since read; reading it again');
      }
      if (!this.#o.mayAct()) return 'failed';
      try {
        current = (await this.#api.getNamespacedCustomObjectStatus(ref, options)) as EventConsumerObject;
      } catch (err) {
        if (apiStatus(err) === API_STATUS.NOT_FOUND) return this.#gone(name);
        this.#o.logger.warn({ err, eventConsumer: name }, 'EventConsumer not read again after a conflict');
        return 'failed';
      }
    }
  }

  /**
   * The freshest object known: the watch's, unless it has not yet delivered this writer's own
   * last write (it still shows the version that write replaced). resourceVersions are opaque, so
   * only equality is compared.
   */
  #current(name: string): EventConsumerObject | undefined {
    const seen = this.#o.read(name);
    const mine = this.#written.get(name);
    if (!seen) return undefined;
    return mine && mine.basedOn === seen.metadata.resourceVersion ? mine.object : seen;
  }

  #stale(status: EventConsumerStatus | undefined): boolean {
    const at = Date.parse(status?.observedAt ?? '');
    return !Number.isFinite(at) || this.#o.now() - at >= this.#o.refreshMs;
  }

  #gone(name: string): WriteOutcome {
    this.#written.delete(name);
    return 'gone';
  }
}
