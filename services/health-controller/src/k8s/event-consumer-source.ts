import {
  ADD,
  CustomObjectsApi,
  DELETE,
  ERROR,
  ListWatch,
  UPDATE,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { backoffDelay, type BackoffPolicy } from '@recio/contract';
import type { Logger } from 'pino';
import type { ControlledGroup } from '../controller.js';
import { deadline } from './api.js';
import { BookmarkingWatch } from './bookmarking-watch.js';
import { EVENT_CONSUMERS, parseEventConsumerSpec, type EventConsumerObject } from './event-consumer.js';

/** Options of an {@link EventConsumerSource}. */
export interface EventConsumerSourceOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  logger: Logger;
  /** Each watch ends after this long on the server's side and is resumed. @defaultValue 300 */
  watchTimeoutSeconds?: number;
  /** Pause before listing or watching again after a failure. @defaultValue 500 ms doubling to 30 s, equal jitter */
  retry?: BackoffPolicy;
  /** Deadline of the list call. @defaultValue 10000 */
  requestTimeoutMs?: number;
}

/** An EventConsumer whose spec was refused, and why. */
export interface RejectedEventConsumer {
  object: EventConsumerObject;
  problems: string[];
}

/** Its creation time as the API wrote it (RFC 3339 in UTC: ordered as text). */
const created = (o: EventConsumerObject) => {
  const t = (o.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  return typeof t === 'string' ? t : '';
};

/**
 * The groups the controller controls, from the EventConsumers of its namespace, kept current by
 * client-node's ListWatch: a list, then a watch from the list's resourceVersion with bookmarks
 * (bookmarking-watch.ts); a watch that ends is resumed from the last resourceVersion seen, and
 * one refused with 410 Gone (its resourceVersion compacted away) lists again. A failed list or
 * watch is tried again after a backoff, the groups last read staying in force meanwhile. Each
 * spec is checked (event-consumer.ts); a refused one, or a second EventConsumer for a group
 * already declared (the older one keeps it), is set aside with its problems and not controlled.
 */
export class EventConsumerSource {
  readonly #o: Required<EventConsumerSourceOptions>;
  readonly #lw: ListWatch<KubernetesObject>;
  #groups: ControlledGroup[] = [];
  #rejected: RejectedEventConsumer[] = [];
  #byGroup = new Map<string, EventConsumerObject>();
  #errors = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: EventConsumerSourceOptions) {
    this.#o = {
      watchTimeoutSeconds: 300,
      retry: { baseMs: 500, maxMs: 30_000, jitter: 'equal' },
      requestTimeoutMs: 10_000,
      ...options,
    };
    const { group, version, plural } = EVENT_CONSUMERS;
    const namespace = options.namespace;
    const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#lw = new ListWatch<KubernetesObject>(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      new BookmarkingWatch(options.kubeConfig, this.#o.watchTimeoutSeconds),
      // A custom object list is untyped JSON: KubernetesListObject is its shape.
      () =>
        api.listNamespacedCustomObject(
          { group, version, namespace, plural },
          deadline(this.#o.requestTimeoutMs),
        ) as Promise<KubernetesListObject<KubernetesObject>>,
      false,
    );
    for (const verb of [ADD, UPDATE, DELETE] as const) this.#lw.on(verb, () => this.#classify());
    this.#lw.on(ERROR, (err: unknown) => this.#failed(err));
  }

  /** Lists and starts watching; a failure is logged and tried again in the background. */
  async start(): Promise<void> {
    await this.#attempt();
  }

  /** The groups of the valid EventConsumers. */
  groups(): readonly ControlledGroup[] {
    return this.#groups;
  }

  /** The EventConsumers whose spec was refused. */
  rejected(): readonly RejectedEventConsumer[] {
    return this.#rejected;
  }

  /** The EventConsumer that declares `group`. */
  forGroup(group: string): EventConsumerObject | undefined {
    return this.#byGroup.get(group);
  }

  /** The EventConsumer named `name`, as last seen. */
  get(name: string): EventConsumerObject | undefined {
    return this.#lw.get(name, this.#o.namespace) as EventConsumerObject | undefined;
  }

  /** The resourceVersion the watch resumes from. */
  resourceVersion(): string {
    return this.#lw.latestResourceVersion();
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#lw.stop();
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    const errors = this.#errors;
    // ListWatch reports a failed list or connection through ERROR before start() resolves.
    await this.#lw.start();
    // Closed while the list was under way: ListWatch went on to watch; stop that too.
    if (this.#closed) return void (await this.#lw.stop());
    if (this.#errors === errors) this.#failures = 0;
  }

  #failed(err: unknown): void {
    this.#errors += 1;
    if (this.#closed) return;
    const delayMs = backoffDelay(this.#o.retry, this.#failures++);
    this.#o.logger.warn({ err, retryInMs: delayMs }, 'EventConsumers list or watch failed');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt(), delayMs);
  }

  #classify(): void {
    const objects = (this.#lw.list(this.#o.namespace) as unknown as EventConsumerObject[])
      .slice()
      .sort((a, b) => created(a).localeCompare(created(b)) || a.metadata.name.localeCompare(b.metadata.name));
    const groups: ControlledGroup[] = [];
    const rejected: RejectedEventConsumer[] = [];
    const byGroup = new Map<string, EventConsumerObject>();
    for (const object of objects) {
      const parsed = parseEventConsumerSpec(object.spec);
      if ('problems' in parsed) {
        rejected.push({ object, problems: parsed.problems });
        continue;
      }
      const first = byGroup.get(parsed.group.name);
      if (first) {
        rejected.push({
          object,
          problems: [`spec.group: ${parsed.group.name} is already declared by EventConsumer ${first.metadata.name}`],
        });
        continue;
      }
      byGroup.set(parsed.group.name, object);
      groups.push(parsed.group);
    }
    const before = JSON.stringify([this.#groups, this.#rejected.map((r) => [r.object.metadata.name, r.problems])]);
    this.#groups = groups;
    this.#rejected = rejected;
    this.#byGroup = byGroup;
    if (before !== JSON.stringify([groups, rejected.map((r) => [r.object.metadata.name, r.problems])]))
      this.#o.logger.info(
        {
          groups: groups.map((g) => g.name),
          rejected: rejected.map((r) => ({ eventConsumer: r.object.metadata.name, problems: r.problems })),
        },
        'EventConsumers read',
      );
  }
}
