import { z } from 'zod';

/** Where a page of newest-first rows starts: strictly before this time, and this id at that time. */
export interface PageCursor {
  ms: number;
  /** Tie-break among rows of the same time (their ids are compared); null takes none of `ms`. */
  id: string | null;
}

/**
 * `before=` of the paged lists: `<ms>` or `<ms>:<id>` (what `nextBefore` returns). The id part
 * exists because rows share times: the trade manager stamps trades with the price feed's
 * second, so paging by time alone would skip or repeat trades at a page boundary.
 */
export const Cursor = z
  .string()
  .regex(/^\d{1,15}(:[A-Za-z0-9_.-]{1,128})?$/, 'expected <ms> or <ms>:<id>')
  .transform((text): PageCursor => {
    const colon = text.indexOf(':');
    return colon < 0 ? { ms: Number(text), id: null } : { ms: Number(text.slice(0, colon)), id: text.slice(colon + 1) };
  });

/** The cursor text of the last row of a page. */
export function formatCursor(ms: number, id: string): string {
  return `${ms}:${id}`;
}

/** `limit=` of the paged lists: 1..200, 50 when absent. */
export const PageLimit = z.coerce.number().int().min(1).max(200).default(50);
