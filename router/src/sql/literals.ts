import pg from 'pg';

// Statements sent without parameters, in the round trip of BEGIN or COMMIT (a simple query may hold
// several statements, but no parameters): their values are literals, escaped here and nowhere else.

/** `text` as an SQL string literal. */
export const literal = (text: string): string => pg.escapeLiteral(text);

/** `values` as an SQL array literal of `type` (e.g. `text`, `uuid`, `json`). */
export const literalArray = (values: readonly string[], type: string): string =>
  `ARRAY[${values.map(literal).join(', ')}]::${type}[]`;

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

/** `EXECUTE` of a session statement; `args` are literals made by this module, in the statement's order. */
export function execute(statement: SessionStatement, args: readonly string[]): string {
  if (args.length !== statement.types.length)
    throw new RangeError(`${statement.name} takes ${statement.types.length} arguments, got ${args.length}`);
  return `EXECUTE ${statement.name}(${args.join(', ')})`;
}
