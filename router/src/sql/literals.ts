import pg from 'pg';

// Statements sent without parameters, in the round trip of BEGIN or COMMIT (a simple query may hold
// several statements, but no parameters): their values are literals, escaped here and nowhere else.

/** `text` as an SQL string literal. */
export const literal = (text: string): string => pg.escapeLiteral(text);

/** `values` as an SQL array literal of `type` (e.g. `text`, `uuid`, `json`). */
export const literalArray = (values: readonly string[], type: string): string =>
  `ARRAY[${values.map(literal).join(', ')}]::${type}[]`;
