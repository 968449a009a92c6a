import { channelClass, type ChannelClass } from '@recio/contract';
import { z } from 'zod';

// main-app's public surface as the page sees it: the REST API's prefix and the WebSocket protocol
// between main-app's gateway and browsers (or scripts), one definition for both ends: the gateway parses client frames with these schemas and the page parses server frames
// with them. Frames are JSON text.

/** Where main-app's REST API lives (every route under it but sign-in needs a token or a session). */
export const MAIN_APP_API_PREFIX = '/api/v1';

/** The price chart's span on the trader's page: one tick a second, five minutes. */
export const CHART_TICKS = 300;

/**
 * What the page asks for when it opens, below MAIN_APP_API_PREFIX: the price ticks committed in the
 * chart's span before `now` (ms), from the channel's history (GET /replay), then follows the live ones.
 */
export function chartHistoryPath(now: number): string {
  const since = new Date(now - CHART_TICKS * 1_000).toISOString();
  return `/replay?channel=prices:btc&since=${encodeURIComponent(since)}&limit=1000`;
}

/** Where the gateway listens (the Ingress routes it; MAIN_APP_PUBLIC_PATHS). */
export const GATEWAY_PATH = '/ws';

/** The largest client frame the gateway reads; a larger one is refused with FRAME_TOO_LARGE. */
export const MAX_CLIENT_FRAME_BYTES = 4_096;

/** Subscriptions one socket may hold at once. */
export const MAX_SUBSCRIPTIONS = 64;

/**
 * Classes whose events are latest-value state (a price, a strike table): for a slow socket the
 * gateway keeps only the newest pending event of such a channel, so their seqs may skip and a client
 * never resyncs on a gap there. Every other class is delivered in full or the socket is closed with
 * {@link GATEWAY_CLOSE}.RESYNC.
 */
export const COALESCED_CLASSES: ReadonlySet<string> = new Set<ChannelClass>(['prices', 'markets']);

/** Whether a gap in `channel`'s seqs means a lost event (a resync), not a coalesced one. */
export function isGapless(channel: string): boolean {
  return !COALESCED_CLASSES.has(channelClass(channel));
}

/** Close codes the gateway uses (4000-4999 are the application's). */
export const GATEWAY_CLOSE = {
  /** The socket's queue overflowed on a channel that is not coalesced: reconnect and resubscribe with the last seqs. */
  RESYNC: 4000,
  /** The session or token stopped being valid: sign in again. */
  UNAUTHENTICATED: 4001,
  /** The server is shutting down: reconnect (another replica answers). */
  GOING_AWAY: 1001,
} as const;

/** Codes of error frames; the socket stays open after each. */
export const GATEWAY_ERRORS = [
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_OP',
  'INVALID_CHANNEL',
  'FORBIDDEN_CHANNEL',
  'TOO_MANY_SUBSCRIPTIONS',
  'NOT_SUBSCRIBED',
  'REPLAY_EXPIRED',
  'REPLAY_FAILED',
  'RATE_LIMITED',
] as const;
export type GatewayErrorCode = (typeof GATEWAY_ERRORS)[number];

const Channel = z.string().min(3).max(160);
/** An optional request id the server echoes in its answer. */
const Id = z.string().max(64).optional();

/**
 * A client frame. `subscribe` with `since` (the last seq the client has) replays what it missed,
 * however old (Redis, else PostgreSQL), then streams live; without `since`, live from the current head.
 */
export const ClientFrame = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('subscribe'),
    channel: Channel,
    since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    id: Id,
  }),
  z.object({ op: z.literal('unsubscribe'), channel: Channel, id: Id }),
  z.object({ op: z.literal('ping'), id: Id }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** An event as the gateway sends it: what the router committed, `data` per the channel class's schema. */
export const EventFrame = z.object({
  op: z.literal('event'),
  channel: z.string(),
  seq: z.number().int().positive(),
  event_id: z.string(),
  type: z.string(),
  ts: z.number(),
  data: z.unknown(),
});
export type EventFrame = z.infer<typeof EventFrame>;

/** A server frame. */
export const ServerFrame = z.discriminatedUnion('op', [
  EventFrame,
  /** The subscription is live; `seq` is the last seq sent for the channel (the head when nothing was). */
  z.object({ op: z.literal('subscribed'), channel: z.string(), seq: z.number().int().min(0).nullable(), id: Id }),
  z.object({ op: z.literal('unsubscribed'), channel: z.string(), id: Id }),
  z.object({ op: z.literal('pong'), id: Id }),
  z.object({
    op: z.literal('error'),
    code: z.enum(GATEWAY_ERRORS),
    message: z.string(),
    channel: z.string().optional(),
    id: Id,
  }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
