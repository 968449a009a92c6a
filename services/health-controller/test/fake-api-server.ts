// A fake Kubernetes API server, a real HTTP server (node:http) that client-node talks to through
// a real KubeConfig.
//
// Why a fake: no API server can run on this machine (no Docker, no kind, no kube-apiserver or
// etcd binaries), and the states the controller must survive (a watch resumed from a compacted
// resourceVersion, a status write racing another writer, a Lease update losing to another
// replica, renewals refused) are ones a test has to put a server into on demand anyway.
//
// What it implements faithfully, after the API conventions and the API server's behaviour, for
// the endpoints the health controller uses (namespaced; fake-api-store.ts models etcd,
// fake-api-rules.ts holds the validation of what is written):
// - authentication by bearer token, one identity per token, each bound to the health controller's
//   Role as it ships in charts/ (anything else it asks is 403 Forbidden: a verb the Role lacks
//   fails here as in a cluster);
// - list with the collection's resourceVersion; watch (`?watch=true`) as newline-delimited JSON
//   events, resumed from a resourceVersion (only later changes of that collection), synthetic
//   ADDED events when none is given, BOOKMARK events only to watchers that passed
//   `allowWatchBookmarks=true`, `timeoutSeconds`, and, from a resourceVersion older than the last
//   compaction, an ERROR event carrying a 410 Expired Status, then the end of the stream;
// - EventConsumers (recio.dev/v1alpha1) with the shipped CRD's schema: unknown fields pruned,
//   the rest validated (422 Invalid), a status subresource whose PUT and merge PATCH change only
//   `status` (a PUT needs the resourceVersion, a stale one is 409 Conflict), a write that changes
//   nothing keeps the resourceVersion, a spec change bumps `generation`;
// - pods: get, and delete with DeleteOptions preconditions (409 on a uid or resourceVersion that
//   no longer matches); there is no kubelet, so a pod is gone at once (`onPodDeleted` lets a test
//   play the ReplicaSet);
// - events.k8s.io/v1 Events: create, with the API server's validation of new-style events
//   (eventTime a MicroTime, reportingController a qualified name, reportingInstance, action and
//   reason required and at most 128 characters, type Normal or Warning, note at most 1 kB,
//   regarding in the event's namespace);
// - Leases (coordination.k8s.io/v1): get, create (409 AlreadyExists), update (409 Conflict on a
//   stale resourceVersion, unconditional without one), MicroTime fields parsed as strictly as
//   the API server does (six fractional digits, else 400).
// Not implemented: core/v1 Events, label and field selectors, server-side apply, other patch
// types, pagination, other resources. `intercept` answers chosen requests with an error, late
// (to order a race) or never (a network partition), to put the controller into failure states.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { eventConsumerSchema, healthControllerRules, type PolicyRule } from './chart-manifests.js';
import { FakeApiStore, send, type StoredObject, type Watcher } from './fake-api-store.js';
import { checkWrite, HttpError, isObject, mergePatch, statusBody } from './fake-api-rules.js';
import { prune, validate, type OpenApiSchema } from './openapi-schema.js';

/** One request as the server saw it. */
export interface RecordedRequest {
  /** When it arrived (ms). */
  at: number;
  identity: string;
  verb: string;
  group: string;
  /** With its subresource: `eventconsumers/status`. */
  resource: string;
  name?: string;
  status: number;
  query: URLSearchParams;
  body?: unknown;
}

/** What `intercept` does with a request: answer with this error, handle it after a delay, never answer, or let it through. */
export type Interception = { code: number; reason: string } | { delayMs: number } | 'hang' | undefined;

const RESOURCES: Record<string, { kind: string; apiVersion: string }> = {
  '/pods': { kind: 'Pod', apiVersion: 'v1' },
  'events.k8s.io/events': { kind: 'Event', apiVersion: 'events.k8s.io/v1' },
  'coordination.k8s.io/leases': { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' },
  'recio.dev/eventconsumers': { kind: 'EventConsumer', apiVersion: 'recio.dev/v1alpha1' },
};
const PATH = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The fake API server (see the header of this file). */
export class FakeApiServer {
  readonly store = new FakeApiStore();
  readonly requests: RecordedRequest[] = [];
  /** Called with each pod deleted (the test plays the ReplicaSet). */
  onPodDeleted: ((pod: StoredObject) => void) | undefined;
  readonly #server: Server;
  readonly #schema: OpenApiSchema;
  readonly #rules: PolicyRule[];
  readonly #hung = new Set<ServerResponse>();
  #interceptor: ((r: RecordedRequest) => Interception) | undefined;
  #heldWatches: (() => void)[] | undefined;
  #url = '';

  private constructor() {
    this.#schema = eventConsumerSchema();
    this.#rules = healthControllerRules();
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Starts one on a free port of 127.0.0.1. */
  static async start(): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    const address = s.#server.address();
    s.#url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return s;
  }

  get url(): string {
    return this.#url;
  }

  /** A client's configuration: this server over HTTP, authenticated as `identity`. */
  kubeConfig(identity: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.#url, skipTLSVerify: true }],
      users: [{ name: identity, token: `token-${identity}` }],
      contexts: [{ name: 'fake', cluster: 'fake', user: identity }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Answers the requests `fn` picks with an error or never; undefined lets them through. Replaces the last one. */
  intercept(fn: ((r: RecordedRequest) => Interception) | undefined): void {
    this.#interceptor = fn;
  }

  /**
   * Creates or replaces an object as an administrator would (`kubectl apply`): validated against
   * the CRD unless `storedUnderOlderSchema` (an object stored before its CRD's schema tightened is
   * not validated again). A replaced custom resource keeps its status.
   */
  apply(object: StoredObject, options: { storedUnderOlderSchema?: boolean } = {}): StoredObject {
    const key = Object.keys(RESOURCES).find(
      (k) => RESOURCES[k]!.kind === object.kind && RESOURCES[k]!.apiVersion === object.apiVersion,
    )!;
    const o = structuredClone(object);
    if (key === 'recio.dev/eventconsumers' && options.storedUnderOlderSchema !== true) {
      o.spec = prune(this.#schema.properties!.spec!, o.spec);
      const errors = validate(this.#schema, o, '');
      if (errors.length > 0) throw new Error(`the API server would refuse it: ${errors.join('; ')}`);
    }
    const current = this.store.get(key, o.metadata.namespace, o.metadata.name);
    if (!current) return this.store.create(key, o);
    if (key === 'recio.dev/eventconsumers') {
      o.status = current.status;
      o.metadata = { ...current.metadata, labels: o.metadata.labels };
      if (JSON.stringify(o.spec) !== JSON.stringify(current.spec))
        o.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    return this.store.update(key, o);
  }

  /** The stored object, as an administrator reads it. */
  object(kind: 'Pod' | 'Lease' | 'EventConsumer', namespace: string, name: string): StoredObject | undefined {
    const key = Object.keys(RESOURCES).find((k) => RESOURCES[k]!.kind === kind)!;
    return this.store.get(key, namespace, name);
  }

  /** Every events.k8s.io Event of a namespace. */
  events(namespace: string): StoredObject[] {
    return this.store.list('events.k8s.io/events', namespace);
  }

  /** Deletes an object as an administrator would. */
  remove(kind: 'Pod' | 'EventConsumer', namespace: string, name: string): void {
    const key = Object.keys(RESOURCES).find((k) => RESOURCES[k]!.kind === kind)!;
    this.store.delete(key, namespace, name);
  }

  /** Compacts the history: a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Sends a BOOKMARK at the current revision to every watcher that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.store.watchers)
      if (w.bookmarks)
        send(w, 'BOOKMARK', {
          kind: w.kind,
          apiVersion: w.apiVersion,
          metadata: { resourceVersion: String(this.store.revision) },
        });
  }

  /** Ends every open watch, as the server does at a watch's timeout. */
  closeWatches(): void {
    for (const w of this.store.watchers) {
      this.store.watchers.delete(w);
      w.res.end();
    }
  }

  /** New watch requests wait (unanswered) until {@link resumeWatches}. */
  pauseWatches(): void {
    this.#heldWatches ??= [];
  }

  resumeWatches(): void {
    const held = this.#heldWatches ?? [];
    this.#heldWatches = undefined;
    for (const start of held) start();
  }

  async close(): Promise<void> {
    this.closeWatches();
    for (const res of this.#hung) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    const record: RecordedRequest = {
      at: Date.now(),
      identity: '',
      verb: '',
      group: '',
      resource: '',
      status: 0,
      query: url.searchParams,
    };
    const reply = (code: number, body: unknown) => {
      record.status = code;
      this.requests.push(record);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString();
      const token = /^Bearer token-(.+)$/.exec(req.headers.authorization ?? '');
      if (!token) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      record.identity = token[1]!;
      const m = PATH.exec(url.pathname);
      if (!m) throw new HttpError(404, 'NotFound', `the server could not find the requested resource`);
      const [, core, group = '', version, namespace = '', resource = '', name, sub] = m;
      const key = `${group}/${resource}`;
      const type = RESOURCES[key];
      if (!type || (core ? 'v1' : `${group}/${version}`) !== type.apiVersion || (sub && sub !== 'status'))
        throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
      const verb = {
        GET: name ? 'get' : watch ? 'watch' : 'list',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: 'delete',
      }[req.method ?? ''];
      if (!verb || (verb === 'create' && name)) throw new HttpError(405, 'MethodNotAllowed', 'method not allowed');
      Object.assign(record, { verb, group, resource: sub ? `${resource}/${sub}` : resource, name });
      if (raw) record.body = JSON.parse(raw) as unknown;
      if (!this.#allowed(group, record.resource, verb))
        throw new HttpError(
          403,
          'Forbidden',
          `${resource}${group ? `.${group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:${namespace}:${record.identity}" cannot ${verb} resource "${record.resource}" in API group "${group}" in the namespace "${namespace}"`,
        );
      const interception = this.#interceptor?.(record);
      if (interception === 'hang') {
        record.status = -1;
        this.requests.push(record);
        this.#hung.add(res);
        return;
      }
      if (interception && 'delayMs' in interception)
        await new Promise((resolve) => setTimeout(resolve, interception.delayMs));
      else if (interception) throw new HttpError(interception.code, interception.reason, `refused by the test`);
      if (verb === 'watch') return this.#watch(record, key, namespace, type, res);
      const out = this.#serve(verb, key, namespace, name, sub, record.body, req.headers['content-type'] ?? '');
      reply(out.code, out.body);
    } catch (err) {
      if (err instanceof HttpError) reply(err.code, statusBody(err.code, err.reason, err.message));
      else if (err instanceof SyntaxError) reply(400, statusBody(400, 'BadRequest', `invalid JSON: ${err.message}`));
      else reply(500, statusBody(500, 'InternalError', String(err)));
    }
  }

  #allowed(group: string, resource: string, verb: string): boolean {
    return this.#rules.some(
      (r) =>
        (r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
        (r.resources.includes(resource) || r.resources.includes('*')) &&
        (r.verbs.includes(verb) || r.verbs.includes('*')),
    );
  }

  #watch(
    record: RecordedRequest,
    key: string,
    namespace: string,
    type: { kind: string; apiVersion: string },
    res: ServerResponse,
  ): void {
    const start = () => {
      record.status = 200;
      this.requests.push(record);
      const from = record.query.get('resourceVersion') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      // The API server answers a watch at once, before any event (the client waits for the headers).
      res.flushHeaders();
      const w: Watcher = {
        key,
        namespace,
        bookmarks: record.query.get('allowWatchBookmarks') === 'true',
        kind: type.kind,
        apiVersion: type.apiVersion,
        res,
      };
      if (from === '' || from === '0') {
        for (const o of this.store.list(key, namespace)) send(w, 'ADDED', o);
      } else {
        const rv = Number(from);
        if (!this.store.canResume(rv)) {
          send(w, 'ERROR', statusBody(410, 'Expired', `too old resource version: ${rv} (${this.store.revision})`));
          res.end();
          return;
        }
        for (const c of this.store.since(key, namespace, rv)) send(w, c.type, c.object);
      }
      this.store.watchers.add(w);
      const timeout = Number(record.query.get('timeoutSeconds') ?? 0);
      if (timeout > 0) w.timer = setTimeout(() => res.end(), timeout * 1000);
      res.on('close', () => {
        this.store.watchers.delete(w);
        clearTimeout(w.timer);
      });
    };
    if (this.#heldWatches) this.#heldWatches.push(start);
    else start();
  }

  #serve(
    verb: string,
    key: string,
    namespace: string,
    name: string | undefined,
    sub: string | undefined,
    body: unknown,
    contentType: string,
  ): { code: number; body: unknown } {
    const type = RESOURCES[key]!;
    const resourceName = `${key.split('/')[1]}${key.startsWith('/') ? '' : `.${key.split('/')[0]}`}`;
    const notFound = () => new HttpError(404, 'NotFound', `${resourceName} "${name}" not found`);
    const conflict = () =>
      new HttpError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resourceName} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    if (verb === 'list')
      return {
        code: 200,
        body: {
          apiVersion: type.apiVersion,
          kind: `${type.kind}List`,
          metadata: { resourceVersion: String(this.store.revision) },
          items: this.store.list(key, namespace),
        },
      };
    if (verb === 'create') {
      const o = body as StoredObject;
      if (!isObject(o) || !isObject(o.metadata)) throw new HttpError(400, 'BadRequest', 'not an object');
      if (typeof o.metadata.name !== 'string' || !DNS_SUBDOMAIN.test(o.metadata.name))
        throw new HttpError(422, 'Invalid', `metadata.name: Invalid value: ${JSON.stringify(o.metadata.name)}`);
      o.metadata.namespace ??= namespace;
      if (o.metadata.namespace !== namespace)
        throw new HttpError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      checkWrite(key, o, this.#schema);
      if (this.store.get(key, namespace, o.metadata.name))
        throw new HttpError(409, 'AlreadyExists', `${resourceName} "${o.metadata.name}" already exists`);
      return { code: 201, body: this.store.create(key, { ...o, kind: type.kind, apiVersion: type.apiVersion }) };
    }
    const current = this.store.get(key, namespace, name!);
    if (!current) throw notFound();
    if (verb === 'get') return { code: 200, body: current };
    if (verb === 'delete') {
      const pre = isObject(body) && isObject(body.preconditions) ? body.preconditions : {};
      if (pre.uid !== undefined && pre.uid !== current.metadata.uid)
        throw new HttpError(
          409,
          'Conflict',
          `Precondition failed: UID in precondition: ${JSON.stringify(pre.uid)}, UID in object meta: ${current.metadata.uid}`,
        );
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
        throw new HttpError(
          409,
          'Conflict',
          `Precondition failed: ResourceVersion in precondition: ${JSON.stringify(pre.resourceVersion)}`,
        );
      const gone = this.store.delete(key, namespace, name!)!;
      if (key === '/pods') this.onPodDeleted?.(gone);
      return { code: 200, body: gone };
    }
    // update and patch
    let next: StoredObject;
    if (verb === 'patch') {
      if (!contentType.startsWith('application/merge-patch+json'))
        throw new HttpError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`,
        );
      next = mergePatch(current, body) as StoredObject;
    } else {
      next = body as StoredObject;
      if (!isObject(next) || !isObject(next.metadata)) throw new HttpError(400, 'BadRequest', 'not an object');
      if (next.metadata.name !== name)
        throw new HttpError(
          400,
          'BadRequest',
          `the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`,
        );
    }
    const rv = next.metadata.resourceVersion;
    // Custom resources allow no unconditional update; Leases do.
    if (verb === 'update' && rv === undefined && key === 'recio.dev/eventconsumers')
      throw new HttpError(
        422,
        'Invalid',
        'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      );
    if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict();
    let stored: StoredObject;
    if (sub === 'status') {
      // The status strategy: only status is taken from the request.
      stored = { ...current, status: prune(this.#schema.properties!.status!, next.status) };
      if (stored.status === undefined) delete stored.status;
      const errors = validate(this.#schema, stored, '');
      if (errors.length > 0)
        throw new HttpError(422, 'Invalid', `EventConsumer.recio.dev "${name}" is invalid: ${errors.join(', ')}`);
    } else {
      if (key === 'recio.dev/eventconsumers')
        throw new HttpError(405, 'MethodNotAllowed', 'not implemented by the fake');
      stored = {
        ...next,
        kind: type.kind,
        apiVersion: type.apiVersion,
        metadata: { ...current.metadata, labels: next.metadata.labels },
      };
      checkWrite(key, stored, this.#schema);
    }
    return { code: 200, body: this.store.update(key, stored) };
  }
}
