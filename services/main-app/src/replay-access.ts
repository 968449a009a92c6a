import { z } from 'zod';
import type { Principal } from './api-tokens.js';

/** Channels every trader may read. */
export const SHARED_CHANNELS: ReadonlySet<string> = new Set(['prices:btc', 'markets:btc', 'system:health']);

/** Channel classes whose channels are one user's (`<class>:<user>`). */
export const USER_CHANNEL_CLASSES: ReadonlySet<string> = new Set(['trades', 'positions', 'settings', 'account']);

/**
 * Whether `principal` may read `channel`'s history: a trader their own channels
 * (`trades|positions|settings|account:<user>`) and the shared ones, an admin any channel.
 */
export function mayReadChannel(principal: Principal, channel: string): boolean {
  return principal.admin || SHARED_CHANNELS.has(channel) || isUsersChannel(channel, principal.userId);
}

/** Whether `channel` is one of `userId`'s own (`trades|positions|settings|account:<user>`). */
export function isUsersChannel(channel: string, userId: string): boolean {
  const colon = channel.indexOf(':');
  return colon > 0 && USER_CHANNEL_CLASSES.has(channel.slice(0, colon)) && channel.slice(colon + 1) === userId;
}

/** Where a replay starts, as the router takes it. */
export type ReplayStart = { sinceSeq: number } | { sinceTime: Date };

/** `since=`: `seq:N` (from seq N, inclusive: pass a page's `next`) or an ISO 8601 time with its offset. */
export const Since = z.string().transform((text, ctx): ReplayStart => {
  const seq = /^seq:(\d{1,15})$/.exec(text);
  if (seq) return { sinceSeq: Number(seq[1]) };
  if (z.iso.datetime({ offset: true }).safeParse(text).success) return { sinceTime: new Date(text) };
  ctx.addIssue({ code: 'custom', message: 'expected seq:N or an ISO time such as 2025-08-01T00:00:00Z' });
  return z.NEVER;
});
