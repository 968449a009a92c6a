import type { ClientBase } from 'pg';
import { errorCode } from '../errors.js';
import {
  ADVANCE_CHECKED_OFFSETS_STATEMENT,
  ADVANCE_OFFSETS_STATEMENT,
  LOCK_OFFSETS_STATEMENT,
} from './consumer-offset.js';
import { INSERT_EVENT_STATEMENT, INSERT_EVENTS_STATEMENT } from './insert-events.js';
import type { SessionStatement } from './literals.js';

/**
 * The statements that ride the round trip of BEGIN or COMMIT (a simple query: several statements,
 * no parameters) as `EXECUTE name(literals)`: a transaction's events, a consumer's offset lock and
 * advance. Each connection prepares them once, in a round trip of its own before its first
 * transaction; after that PostgreSQL runs a kept plan, where a function called with literals cost it
 * a parse, a plan and the function's own overhead on every call (docs/performance.md).
 */
const STATEMENTS: readonly SessionStatement[] = [
  INSERT_EVENT_STATEMENT,
  INSERT_EVENTS_STATEMENT,
  LOCK_OFFSETS_STATEMENT,
  ADVANCE_OFFSETS_STATEMENT,
  ADVANCE_CHECKED_OFFSETS_STATEMENT,
];

/** SQLSTATE of PREPARE when the name exists in the session already. */
const DUPLICATE_PREPARED_STATEMENT = '42P05';
/** SQLSTATE of EXECUTE when the name does not exist (the session's statements were discarded). */
const NO_PREPARED_STATEMENT = '26000';

/** Connections known to hold the statements (a pool hands out the same client objects again). */
const prepared = new WeakSet<ClientBase>();

const prepare = (s: SessionStatement): string => `PREPARE ${s.name} (${s.types.join(', ')}) AS ${s.text}`;

/**
 * Prepares the statements on `client`, outside a transaction; undefined when it holds them already
 * (the common case, answered without a promise: this runs before every transaction).
 */
export function prepareSessionStatements(client: ClientBase): Promise<void> | undefined {
  return prepared.has(client) ? undefined : prepareOn(client);
}

async function prepareOn(client: ClientBase): Promise<void> {
  try {
    await client.query(STATEMENTS.map(prepare).join('; '));
  } catch (error) {
    if (errorCode(error) !== DUPLICATE_PREPARED_STATEMENT) throw error;
    // Some are there already (another router in this process shares the pool): the others one by one.
    for (const s of STATEMENTS) {
      await client.query(prepare(s)).catch((err: unknown) => {
        if (errorCode(err) !== DUPLICATE_PREPARED_STATEMENT) throw err;
      });
    }
  }
  prepared.add(client);
}

/**
 * After an error on `client`: when it says the statements are gone (something ran DISCARD ALL or
 * DEALLOCATE ALL on the connection), the next transaction on it prepares them again.
 */
export function checkSessionStatements(client: ClientBase, error: unknown): void {
  if (errorCode(error) === NO_PREPARED_STATEMENT) prepared.delete(client);
}
