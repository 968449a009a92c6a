import { EventsV1Api, V1MicroTime, type EventsV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { deadline } from './api.js';

/** The controller's name on every Event it records (a qualified name, as the API server requires). */
export const REPORTING_CONTROLLER = 'recio.dev/health-controller';

/** The object an Event is about. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** One Event to record. */
export interface EventToRecord {
  regarding: ObjectRef;
  related?: ObjectRef;
  type: 'Normal' | 'Warning';
  /** Why, in CamelCase (`ConsumerRestarted`). */
  reason: string;
  /** What the controller did or judged (`DeletePod`). */
  action: string;
  /** For people: what happened, at most 1 kB. */
  note: string;
}

/** Options of an {@link EventRecorder}. */
export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** This replica (its pod name): the Event's reportingInstance. */
  instance: string;
  logger: Logger;
  /** Deadline of each API call. @defaultValue 5000 */
  requestTimeoutMs?: number;
}

// The API server's limits on a new-style Event.
const MAX_NOTE_BYTES = 1024;
const MAX_FIELD = 128;

/** Cuts `s` to at most `bytes` bytes of UTF-8, on a character boundary. */
function cut(s: string, bytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

/**
 * Records Kubernetes Events (events.k8s.io/v1) of what the controller does and judges, in its
 * namespace, as `recio.dev/health-controller`. An Event is a courtesy to whoever runs
 * `kubectl describe`: one that cannot be written is logged and dropped, never retried or thrown.
 */
export class EventRecorder {
  readonly #o: Required<EventRecorderOptions>;
  readonly #api: EventsV1Api;
  #seq = 0n;

  constructor(options: EventRecorderOptions) {
    this.#o = { requestTimeoutMs: 5_000, ...options };
    this.#api = options.kubeConfig.makeApiClient(EventsV1Api);
  }

  /** Records `e`; false (logged) when the API server did not take it. */
  async record(e: EventToRecord): Promise<boolean> {
    const now = Date.now();
    // Unique per regarding object like client-go's `<name>.<unix nanos in hex>`, with a counter
    // for two Events in one millisecond.
    const suffix = (BigInt(now) * 1_000_000n + (this.#seq++ % 1_000_000n)).toString(16);
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${e.regarding.name.slice(0, 230)}.${suffix}`, namespace: this.#o.namespace },
      // MicroTime: the API server parses exactly six fractional digits, which V1MicroTime writes.
      eventTime: new V1MicroTime(now),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#o.instance.slice(0, MAX_FIELD),
      action: e.action.slice(0, MAX_FIELD),
      reason: e.reason.slice(0, MAX_FIELD),
      type: e.type,
      note: cut(e.note, MAX_NOTE_BYTES),
      regarding: e.regarding,
      ...(e.related ? { related: e.related } : {}),
    };
    try {
      await this.#api.createNamespacedEvent({ namespace: this.#o.namespace, body }, deadline(this.#o.requestTimeoutMs));
      return true;
    } catch (err) {
      this.#o.logger.warn(
        { err, reason: e.reason, regarding: `${e.regarding.kind}/${e.regarding.name}` },
        'Kubernetes Event not recorded',
      );
      return false;
    }
  }
}
