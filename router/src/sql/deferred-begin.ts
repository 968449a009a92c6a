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

type Query = (...args: unknown[]) => unknown;

interface Deferring {
  [DEFERRED]?: readonly string[];
  [INSTALLED]?: true;
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
  c[DEFERRED] = undefined;
  return statements;
}

function install(client: Deferring): void {
  if (client[INSTALLED]) return;
  const query: Query = client.query.bind(client);
  client.query = (...args: unknown[]) => {
    const leading = client[DEFERRED];
    if (leading === undefined) return query(...args);
    if (typeof (args[0] as { submit?: unknown } | undefined)?.submit === 'function') throw new UnsupportedQueryError();
    client[DEFERRED] = undefined;
    const callback = typeof args.at(-1) === 'function' ? (args.pop() as (...r: unknown[]) => void) : undefined;
    const sent = sendWith(client, query, leading, args);
    if (!callback) return sent;
    sent.then(
      (result) => callback(null, result),
      (error: unknown) => callback(error),
    );
    return undefined;
  };
  client[INSTALLED] = true;
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
): Promise<unknown> {
  const [first, values] = args;
  const config: QueryConfig =
    typeof first === 'string' ? { text: first, values: values as unknown[] | undefined } : (first as QueryConfig);
  if (!config.name && !(config.values && config.values.length > 0)) {
    // A simple query: one text, stopped at the first statement that fails. Its results are the
    // caller's statements' only (one, or one per statement of its text).
    const results = (await query({ ...config, text: `${leading.join('; ')}; ${config.text}` })) as QueryResult[];
    const own = results.slice(leading.length);
    return own.length === 1 ? own[0] : own;
  }
  if (config.name && client.connection?.parsedStatements?.[config.name] !== config.text) {
    // A named statement not parsed on this connection yet: its Parse would be skipped if BEGIN
    // failed, yet node-postgres marks the name parsed on BEGIN's ParseComplete. BEGIN goes alone
    // first (once per statement and connection); when it fails, the statement is not sent.
    await query(leading.join('; '));
    return query(...args);
  }
  return new Promise((resolve, reject) => {
    query(new LedQuery(leading, config, (err, result) => (err ? reject(err) : resolve(result))));
  });
}

/** What node-postgres' Query does that its type declarations leave out. */
interface QueryInternals {
  prepare(connection: ProtocolConnection): void;
  handleCommandComplete(msg: unknown, connection: ProtocolConnection): void;
}

/** The messages of node-postgres' Connection that LedQuery sends itself. */
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
 * A statement with parameters led by `leading`, all under the statement's one Sync: each leading
 * statement as Parse, Bind and Execute of the unnamed statement and portal, then the statement's
 * own messages. The leading statements' completions are not the caller's result.
 */
class LedQuery extends QueryBase {
  readonly #leading: readonly string[];
  #toSkip: number;

  constructor(
    leading: readonly string[],
    config: QueryConfig,
    callback: (err: Error | undefined, result: QueryResult) => void,
  ) {
    super(config, undefined, callback);
    this.#leading = leading;
    this.#toSkip = leading.length;
  }

  // Query.submit validates the query, then calls prepare inside one corked write.
  override prepare(connection: ProtocolConnection): void {
    for (const text of this.#leading) {
      connection.parse({ text, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.execute({ portal: '', rows: 0 });
    }
    super.prepare(connection);
  }

  override handleCommandComplete(msg: unknown, connection: ProtocolConnection): void {
    if (this.#toSkip > 0) {
      this.#toSkip--;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}
