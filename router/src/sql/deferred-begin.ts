import pg, { type ClientBase, type Pool, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
import { RecioError } from '../errors.js';

/**
 * BEGIN sent with a transaction's first statement, in its round trip: a transaction that runs one
 * business statement and commits costs two round trips, not three (docs/router.md, "BEGIN rides
 * the first statement").
 *
 * Atomicity must not depend on BEGIN succeeding apart from the statement behind it: a statement
 * run after a failed BEGIN would commit on its own, without the events the transaction publishes
 * (invariant 1). So BEGIN and the statement are sent as one unit the server runs whole or not at
 * all: with the statement's own text (a simple query, which stops at the first failure), or, for
 * a statement with parameters, as extended-protocol messages under the statement's one Sync: when
 * BEGIN fails the server skips everything up to that Sync. A named statement this connection has
 * not parsed yet gets BEGIN in a round trip of its own before it (sent only once BEGIN succeeded);
 * a custom query (a cursor, a stream) is refused as a transaction's first statement.
 */

const DEFERRED = Symbol('recio.deferredBegin');
const INSTALLED = Symbol('recio.deferredBeginInstalled');
/** Bumped by deferBegin and takeDeferred: a BEGIN given back after a failure only to the same transaction. */
const EPOCH = Symbol('recio.deferredBeginEpoch');
/** The query carrying BEGIN while it is in flight: later statements wait for it. */
const CARRYING = Symbol('recio.deferredBeginCarrying');
/** On the config of a simple query that carries BEGIN: counted as the statement it carries (pg-statements.ts). */
export const CARRIES_BEGIN = Symbol('recio.carriesBegin');

type Query = (...args: unknown[]) => unknown;

/** What is known of a BEGIN being carried: whether it completed, whether anything was sent. */
interface Began {
  done: boolean;
  sent: boolean;
}

interface Deferring {
  [DEFERRED]?: readonly string[];
  [INSTALLED]?: true;
  [EPOCH]?: number;
  [CARRYING]?: Promise<void>;
  query: Query;
  connection?: { parsedStatements?: Record<string, string> };
}

/**
 * Lets every client `pool` creates from now on take deferred statements (see deferBegin). Once per
 * client, whoever calls it: routers that share a pool install it once.
 */
export function allowDeferredBegin(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => install(client as unknown as Deferring));
}

/**
 * Defers `statements` (BEGIN and what belongs with it, each a statement of its own) to go with
 * `client`'s next statement. False when the client cannot (it came from the pool before
 * allowDeferredBegin): send them yourself then.
 */
export function deferBegin(client: ClientBase, statements: readonly string[]): boolean {
  const c = client as unknown as Deferring;
  if (!c[INSTALLED]) return false;
  c[EPOCH] = (c[EPOCH] ?? 0) + 1;
  c[DEFERRED] = statements;
  return true;
}

/**
 * The deferred statements no statement has carried yet (the transaction sent nothing), now
 * cleared; undefined when they went out. Call it before the client goes back to the pool, which
 * must never hand out a client with a BEGIN still waiting.
 */
export function takeDeferred(client: ClientBase): readonly string[] | undefined {
  const c = client as unknown as Deferring;
  const statements = c[DEFERRED];
  c[EPOCH] = (c[EPOCH] ?? 0) + 1;
  c[DEFERRED] = undefined;
  return statements;
}

function install(client: Deferring): void {
  if (client[INSTALLED]) return;
  const query: Query = client.query.bind(client);
  const send = (args: unknown[]): Promise<unknown> | undefined => {
    const leading = client[DEFERRED];
    if (leading === undefined) return undefined;
    if (typeof (args[0] as { submit?: unknown } | undefined)?.submit === 'function') throw new UnsupportedQueryError();
    client[DEFERRED] = undefined;
    const epoch = client[EPOCH];
    const began: Began = { done: false, sent: false };
    const sent = sendWith(client, query, leading, args, began).catch((error: unknown) => {
      // Failed before BEGIN ran (refused by node-postgres before anything was sent, or by the server
      // before BEGIN completed: its answers come in order, BEGIN's first): no transaction is open,
      // so the next statement must carry BEGIN again. (Told from BEGIN's own completion: the
      // connection's status is not updated yet when the error arrives.) A failure of node-postgres
      // after sending (a value it cannot serialise, a query timeout) comes before the server's
      // answers, and the server runs BEGIN all the same: BEGIN counts as gone, to be rolled back.
      const notRun = !began.done && (!began.sent || error instanceof pg.DatabaseError);
      if (notRun && client[EPOCH] === epoch) client[DEFERRED] = leading;
      throw error;
    });
    const carrying = sent.then(
      () => undefined,
      () => undefined,
    );
    client[CARRYING] = carrying;
    void carrying.then(() => {
      if (client[CARRYING] === carrying) client[CARRYING] = undefined;
    });
    return sent;
  };
  client.query = (...args: unknown[]) => {
    if (client[DEFERRED] === undefined && client[CARRYING] === undefined) return query(...args);
    const callback = typeof args.at(-1) === 'function' ? (args.pop() as (...r: unknown[]) => void) : undefined;
    // A statement sent while BEGIN is on its way waits for it: it must neither run before BEGIN
    // nor, if BEGIN did not run, outside a transaction. When that BEGIN did not run, the first
    // statement waiting carries it again, and the others wait for that one in turn.
    const whenCarried = (): Promise<unknown> => {
      const carrying = client[CARRYING];
      return carrying ? carrying.then(whenCarried) : (send(args) ?? (query(...args) as Promise<unknown>));
    };
    const sent = whenCarried();
    if (!callback) return sent;
    sent.then(
      (result) => settle(callback, null, result),
      (error: unknown) => settle(callback, error),
    );
    return undefined;
  };
  client[INSTALLED] = true;
}

/** Calls a node-postgres-style callback as node-postgres does: what it throws is thrown on the next tick. */
function settle(callback: (...r: unknown[]) => void, ...result: unknown[]): void {
  try {
    callback(...result);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/**
 * A custom query (a cursor, a stream) as a transaction's first statement: it cannot carry BEGIN, and
 * sending it behind a BEGIN of its own would run it outside the transaction if that BEGIN failed.
 */
export class UnsupportedQueryError extends RecioError {
  constructor() {
    super(
      'UNSUPPORTED_QUERY',
      "a custom query (a cursor, a stream) cannot be a transaction's first statement: send a plain statement first",
    );
  }
}

async function sendWith(
  client: Deferring,
  query: Query,
  leading: readonly string[],
  args: unknown[],
  began: Began,
): Promise<unknown> {
  const [first, values] = args;
  // As node-postgres reads its arguments: values given apart replace the config's.
  const config: QueryConfig =
    typeof first === 'string'
      ? { text: first, values: values as unknown[] | undefined }
      : { ...(first as QueryConfig), ...(values ? { values: values as unknown[] } : {}) };
  const extended = config as QueryConfig & { rows?: number; queryMode?: string };
  // node-postgres' own choice (Query.requiresPreparation): anything else is a simple query.
  const prepared =
    Boolean(config.name) ||
    Boolean(extended.rows) ||
    extended.queryMode === 'extended' ||
    (Array.isArray(config.values) && config.values.length > 0);
  const carry = (led: readonly string[], c: QueryConfig): Promise<QueryResult | QueryResult[]> =>
    new Promise((resolve, reject) => {
      query(new Carrier(led, c, began, (err, result) => (err ? reject(err) : resolve(result))));
    });
  if (!prepared) {
    // A simple query: one text, stopped at the first statement that fails. Its results are the
    // caller's statements' only (one, or one per statement of its text).
    const prefix = `${leading.join('; ')}; `;
    let results: QueryResult | QueryResult[];
    try {
      results = await carry([], {
        ...config,
        text: prefix + (config.text ?? ''),
        [CARRIES_BEGIN]: true,
      } as QueryConfig);
    } catch (error) {
      // An error's position is in the caller's text, not in the text sent.
      const e = error as { position?: string };
      if (e.position !== undefined && Number(e.position) > prefix.length)
        e.position = String(Number(e.position) - prefix.length);
      throw error;
    }
    const own = (Array.isArray(results) ? results : [results]).slice(leading.length);
    // (No result of its own: an empty or comment-only text, answered as node-postgres answers it.)
    return own.length === 1
      ? own[0]
      : own.length === 0
        ? new pg.Result((config as { rowMode?: string }).rowMode ?? '', pg.types)
        : own;
  }
  if (config.name && client.connection?.parsedStatements?.[config.name] !== config.text) {
    // A named statement not parsed on this connection yet: its Parse would be skipped if BEGIN
    // failed, yet node-postgres marks the name parsed on BEGIN's ParseComplete. BEGIN goes alone
    // first (once per statement and connection); when it fails, the statement is not sent.
    await carry([], { text: leading.join('; ') });
    return query(config);
  }
  return carry(leading, config);
}

/** What node-postgres' Query does that its type declarations leave out. */
interface QueryInternals {
  /** Sends the query; an error when node-postgres refused it before sending anything. */
  submit(connection: ProtocolConnection): Error | null;
  prepare(connection: ProtocolConnection): void;
  handleCommandComplete(msg: { text?: string }, connection: ProtocolConnection): void;
}

/** The messages of node-postgres' Connection that Carrier sends itself. */
interface ProtocolConnection {
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[] }): void;
  execute(message: { portal: string; rows: number }): void;
}

const QueryBase = pg.Query as unknown as new (
  config: QueryConfig,
  values: undefined,
  callback: (err: Error | undefined, result: QueryResult) => void,
) => QueryInternals;

/**
 * A query that tells whether BEGIN completed in it (`began`), sent as node-postgres sends it. With
 * `leading` statements, they go first, each as Parse, Bind and Execute of the unnamed statement
 * and portal, under the query's own Sync; their completions are not the caller's result.
 */
class Carrier extends QueryBase {
  readonly #leading: readonly string[];
  readonly #began: Began;
  #toSkip: number;

  constructor(
    leading: readonly string[],
    config: QueryConfig,
    began: Began,
    callback: (err: Error | undefined, result: QueryResult) => void,
  ) {
    super(config, undefined, callback);
    // node-postgres reads a per-query timeout from the object it is given.
    (this as unknown as { query_timeout?: number }).query_timeout = (
      config as { query_timeout?: number }
    ).query_timeout;
    // (The statement counter reads it from the object it is given: pg-statements.ts.)
    if (CARRIES_BEGIN in config) (this as unknown as Record<symbol, boolean>)[CARRIES_BEGIN] = true;
    this.#leading = leading;
    this.#toSkip = leading.length;
    this.#began = began;
  }

  override submit(connection: ProtocolConnection): Error | null {
    const refused = super.submit(connection);
    // Sent, even when node-postgres then failed on a value (it closes with a Sync: BEGIN runs).
    if (refused === null) this.#began.sent = true;
    return refused;
  }

  // Query.submit validates the query, then calls prepare inside one corked write (extended only).
  override prepare(connection: ProtocolConnection): void {
    for (const text of this.#leading) {
      connection.parse({ text, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.execute({ portal: '', rows: 0 });
    }
    super.prepare(connection);
  }

  override handleCommandComplete(msg: { text?: string }, connection: ProtocolConnection): void {
    if (msg.text === 'BEGIN') this.#began.done = true;
    if (this.#toSkip > 0) {
      this.#toSkip--;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}
