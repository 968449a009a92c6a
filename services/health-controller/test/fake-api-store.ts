// The storage behind the fake API server (fake-api-server.ts), modelled on etcd under the API
// server: one revision counter for every object (an object's resourceVersion is the revision of
// its last write), a history of changes that watches resume from, and compaction, after which a
// watch from an older revision is refused with 410 Gone and the client must list again.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** A stored object: what every Kubernetes object has, and the rest as JSON. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A collection: API group and resource (`recio.dev/eventconsumers`, `/pods`). */
export type CollectionKey = string;

interface Change {
  rv: number;
  key: CollectionKey;
  namespace: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
}

/** An open watch stream. */
export interface Watcher {
  key: CollectionKey;
  namespace: string;
  bookmarks: boolean;
  /** The kind and apiVersion of the collection's objects (a bookmark carries them). */
  kind: string;
  apiVersion: string;
  res: ServerResponse;
  timer?: NodeJS.Timeout;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Objects, revisions, history and watchers. */
export class FakeApiStore {
  #rv = 1;
  #compactedRv = 0;
  readonly #objects = new Map<string, StoredObject>();
  #history: Change[] = [];
  readonly watchers = new Set<Watcher>();

  /** The current revision (what a list answers as its resourceVersion). */
  get revision(): number {
    return this.#rv;
  }

  get(key: CollectionKey, namespace: string, name: string): StoredObject | undefined {
    const o = this.#objects.get(`${key}|${namespace}|${name}`);
    return o && clone(o);
  }

  list(key: CollectionKey, namespace: string): StoredObject[] {
    const prefix = `${key}|${namespace}|`;
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, o]) => clone(o));
  }

  /** Stores a new object (uid, creation time, generation 1, a new revision); the caller checked it did not exist. */
  create(key: CollectionKey, object: StoredObject): StoredObject {
    const o = clone(object);
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    o.metadata.generation = 1;
    return this.#write(key, o, 'ADDED');
  }

  /**
   * Replaces a stored object with `object` (a new revision), unless nothing changed: the API
   * server skips a write that changes nothing, and the resourceVersion stays.
   */
  update(key: CollectionKey, object: StoredObject): StoredObject {
    const current = this.#objects.get(`${key}|${object.metadata.namespace}|${object.metadata.name}`)!;
    const next = clone(object);
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
    return this.#write(key, next, 'MODIFIED');
  }

  delete(key: CollectionKey, namespace: string, name: string): StoredObject | undefined {
    const k = `${key}|${namespace}|${name}`;
    const o = this.#objects.get(k);
    if (!o) return undefined;
    this.#objects.delete(k);
    this.#rv += 1;
    const gone = clone(o);
    gone.metadata.resourceVersion = String(this.#rv);
    this.#record({ rv: this.#rv, key, namespace, type: 'DELETED', object: gone });
    return clone(gone);
  }

  /** Forgets the history up to now: a watch from an older revision gets 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history = [];
  }

  /** Whether a watch may resume from `rv` (not compacted away). */
  canResume(rv: number): boolean {
    return rv >= this.#compactedRv;
  }

  /** The changes of one collection after `rv`, oldest first. */
  since(key: CollectionKey, namespace: string, rv: number): Change[] {
    return this.#history.filter((c) => c.rv > rv && c.key === key && c.namespace === namespace);
  }

  #write(key: CollectionKey, o: StoredObject, type: 'ADDED' | 'MODIFIED'): StoredObject {
    this.#rv += 1;
    o.metadata.resourceVersion = String(this.#rv);
    this.#objects.set(`${key}|${o.metadata.namespace}|${o.metadata.name}`, o);
    this.#record({ rv: this.#rv, key, namespace: o.metadata.namespace, type, object: clone(o) });
    return clone(o);
  }

  #record(change: Change): void {
    this.#history.push(change);
    for (const w of this.watchers)
      if (w.key === change.key && w.namespace === change.namespace) send(w, change.type, change.object);
  }
}

/** Writes one watch event (a line of JSON). */
export function send(w: Watcher, type: string, object: unknown): void {
  if (!w.res.writableEnded) w.res.write(`${JSON.stringify({ type, object })}\n`);
}
