import type { PlatformTransaction } from '@recio/service-kit';
import type { PageCursor } from './cursor.js';

/** Something that runs a statement: the service's pool or a transaction. */
export type Db = Pick<PlatformTransaction, 'query'>;

/**
 * The condition of a newest-first page after `values`: `AND (time, id) < (cursor)`, or
 * `AND time < cursor` for a bare time. `time` and `id` are column names of ours, never input.
 */
export function beforeClause(
  time: string,
  id: string,
  before: PageCursor | null,
  values: readonly unknown[],
): { clause: string; values: unknown[] } {
  if (!before) return { clause: '', values: [...values] };
  const n = values.length;
  if (before.id === null) return { clause: ` AND ${time} < $${n + 1}`, values: [...values, new Date(before.ms)] };
  return {
    clause: ` AND (${time}, ${id}) < ($${n + 1}, $${n + 2})`,
    values: [...values, new Date(before.ms), before.id],
  };
}
