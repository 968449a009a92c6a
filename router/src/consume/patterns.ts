/** A subscription pattern `class:prefix*` as a SQL LIKE pattern (`_` and `%` escaped). */
export function toLike(pattern: string): string {
  return pattern.slice(0, -1).replace(/[\\_%]/g, (c) => `\\${c}`) + '%';
}
