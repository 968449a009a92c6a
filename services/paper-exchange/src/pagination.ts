import { invalidParameters } from './api-error.js';

/** Largest `limit` of the portfolio lists (a larger one is a 400). */
export const MAX_PORTFOLIO_LIMIT = 100;

/** A page of items and the cursor of the next page ('' at the end, as the exchange sends it). */
export interface Page<T> {
  items: T[];
  cursor: string;
}

/** Parses `limit` (1..max, default 100); throws 400 invalid_parameters otherwise. */
export function parseLimit(raw: unknown, max: number): number {
  if (raw === undefined || raw === '') return Math.min(100, max);
  // A repeated parameter arrives as an array: not an integer either.
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  if (!/^\d+$/.test(text)) throw invalidParameters(`limit: must be an integer between 1 and ${max}`);
  const limit = Number(text);
  if (limit < 1 || limit > max) throw invalidParameters(`limit: must be between 1 and ${max}, got ${limit}`);
  return limit;
}

function encodeCursor(position: string): string {
  return Buffer.from(`c1:${position}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c1:')) throw invalidParameters('cursor: not a cursor this exchange issued');
  return text.slice(3);
}

/**
 * Newest first by a strictly increasing sequence number. The cursor is the sequence of the last
 * item returned, so items appended while a client pages never shift or repeat a page.
 */
export function pageBySeq<T extends { seq: number }>(items: readonly T[], limit: number, cursor: unknown): Page<T> {
  let before = Number.POSITIVE_INFINITY;
  if (typeof cursor === 'string' && cursor !== '') {
    const seq = Number(decodeCursor(cursor));
    if (!Number.isInteger(seq)) throw invalidParameters('cursor: malformed');
    before = seq;
  }
  const out: T[] = [];
  let more = false;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    if (item.seq >= before) continue;
    if (out.length === limit) {
      more = true;
      break;
    }
    out.push(item);
  }
  const last = out[out.length - 1];
  return { items: out, cursor: more && last ? encodeCursor(String(last.seq)) : '' };
}

/** Ascending by a unique string key (tickers); the cursor is the last key returned. */
export function pageByKey<T>(items: readonly T[], key: (item: T) => string, limit: number, cursor: unknown): Page<T> {
  const after = typeof cursor === 'string' && cursor !== '' ? decodeCursor(cursor) : null;
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rest = after === null ? sorted : sorted.filter((item) => key(item) > after);
  const pageItems = rest.slice(0, limit);
  const last = pageItems[pageItems.length - 1];
  return { items: pageItems, cursor: rest.length > limit && last ? encodeCursor(key(last)) : '' };
}
