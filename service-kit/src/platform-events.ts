import type { Pool } from 'pg';
import { parseEvent, type PlatformEvent, type PlatformEvents } from '@recio/platform';
import type { EventRouter, HandlerContext, RecioEvent, Transaction } from '@recio/router';

/** The router of a platform service: `publish` is checked against the platform's event catalogue. */
export type PlatformRouter = EventRouter<PlatformEvents>;

/** A transaction of a platform service: `tx.publish` is checked against the event catalogue. */
export type PlatformTransaction = Transaction<PlatformEvents>;

/** What reads need of a transaction: its query. A pool's reader (poolReader) is one too. */
export type Reader = Pick<PlatformTransaction, 'query'>;

/** Reads through `pool`, each statement on its own (no BEGIN/COMMIT): for reads that decide nothing alone. */
export function poolReader(pool: Pool): Reader {
  return {
    query: (text, values) => (typeof text === 'string' ? pool.query(text, values) : pool.query(text)),
  };
}

/** What a platform service's handler gets besides the event. */
export type PlatformHandlerContext = HandlerContext<PlatformEvents>;

/**
 * A consumed platform event: the router's envelope (channel, seq, event_id, ...) with its `type` and
 * `data` as the catalogue's schema made them (typed, defaults filled in). A union discriminated by
 * `type`: a handler's `switch (event.type)` narrows `event.data`.
 */
export type PlatformRecioEvent = Omit<RecioEvent, 'type' | 'data'> & PlatformEvent;

/**
 * Checks a consumed event against the schema of its channel's class and returns it typed: the
 * service kit's consumers decode each event once, with this, before their handler sees it. Throws
 * EventSchemaError (the event is then dead-lettered as EVENT_INVALID).
 */
export function decodePlatformEvent(event: RecioEvent): PlatformRecioEvent {
  const { type, data } = parseEvent(event.channel, event);
  return { ...event, type, data } as PlatformRecioEvent;
}
