import pg from 'pg';

// Statements sent without parameters, in the round trip of BEGIN or COMMIT (a simple query may hold
// several statements, but no parameters): their values are literals, escaped here and nowhere else.

/**
 * A statement prepared once per connection (SQL `PREPARE`, see session-statements.ts) so that it can
 * ride the round trip of BEGIN or COMMIT as `EXECUTE name(literals)`. Its name shares the session's
 * namespace with node-postgres' named statements, so it never reuses one of theirs.
 */
export interface SessionStatement {
  name: string;
  /** The parameters' types, in order. */
  types: readonly string[];
  /** The SQL, with parameters $1…. */
  text: string;
}

/** A session statement's argument: text, an integer, or an array of them. */
export type StatementValue = string | number | readonly (string | number)[];

/** One scalar as a literal: text escaped, an integer as it is (never anything else). */
function scalar(value: string | number): string {
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  return String(value);
}

/**
 * `EXECUTE` of a session statement with `values` as literals in the statement's order, arrays cast to
 * their declared type (an empty array needs it).
 */
export function execute(statement: SessionStatement, values: readonly StatementValue[]): string {
  if (values.length !== statement.types.length)
    throw new RangeError(`${statement.name} takes ${statement.types.length} arguments, got ${values.length}`);
  const args = values.map((v, i) =>
    typeof v === 'object' ? `ARRAY[${v.map(scalar).join(', ')}]::${statement.types[i]!}` : scalar(v),
  );
  return `EXECUTE ${statement.name}(${args.join(', ')})`;
}
