import { randomUUID } from 'node:crypto';
import { seqOfEntryId } from '@recio/contract';
import { RecioError } from '../errors.js';
import { decodeStreamEntry, type RecioEvent } from '../event.js';
import type { StreamEntries } from './group-stream.js';

/** An event handed to the group: its stream entry id (null when read from PostgreSQL) and delivery count. */
export interface Delivery {
  event: RecioEvent;
  id: string | null;
  deliveries: number;
  /** Set when the entry could not be decoded: it is dead-lettered when its turn comes. */
  invalid?: unknown;
}

/** The handler (or decoding) failed on one delivery; nothing of its batch was applied. */
export class DeliveryFailure extends RecioError {
  constructor(
    readonly delivery: Delivery,
    readonly invalid: boolean,
    cause: unknown,
  ) {
    super(
      invalid ? 'EVENT_INVALID' : 'HANDLER_FAILED',
      `${invalid ? 'decoding' : 'handler'} failed on ${delivery.event.channel} seq ${delivery.event.seq}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/**
 * Stream entries as deliveries, in their order, with their delivery counts (1 when not known). An
 * entry the router did not write (a field missing, bad JSON) becomes an invalid delivery in its
 * place: it is dead-lettered in the channel's order, after the entries before it are applied.
 */
export function toDeliveries(
  channel: string,
  entries: StreamEntries,
  counts: ReadonlyMap<string, number> | null,
): Delivery[] {
  return entries.map(([id, fields]) => {
    const deliveries = counts?.get(id) ?? 1;
    try {
      return { event: decodeStreamEntry(channel, id, fields), id, deliveries };
    } catch (cause) {
      return { event: undecodable(channel, id, fields), id, deliveries, invalid: cause };
    }
  });
}

/** Events read from PostgreSQL (replay): no entry id, delivered once. */
export function replayedDeliveries(events: readonly RecioEvent[]): Delivery[] {
  return events.map((event) => ({ event, id: null, deliveries: 1 }));
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What can be told of an entry that is not an event, for its dead letter. */
function undecodable(channel: string, id: string, fields: string[]): RecioEvent {
  const field = (name: string): string | undefined => entryField(fields, name);
  const eventId = field('event_id');
  return {
    event_id: eventId !== undefined && UUID_RE.test(eventId) ? eventId : randomUUID(),
    channel,
    seq: seqOfEntryId(id),
    type: field('type') ?? 'undecodable',
    source: field('source') ?? '',
    ts: Number(field('ts')) || Date.now(),
    data: field('data') ?? null,
  };
}

/**
 * The event a doorbell message carries (the append script PUBLISHes each appended event, with the
 * fields of its stream entry plus channel and seq), as a first delivery of entry `<seq>-0`; null when
 * the message is not such an event of `channel` (anyone may PUBLISH on a channel's name).
 */
export function rungDelivery(channel: string, message: string): Delivery | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const m = parsed as Record<string, unknown>;
  const { event_id, seq, type, source, ts, data } = m;
  if (
    m.channel !== channel ||
    typeof event_id !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof type !== 'string' ||
    typeof source !== 'string' ||
    typeof ts !== 'number' ||
    !Number.isFinite(ts)
  )
    return null;
  return { event: { event_id, channel, seq, type, source, ts, data }, id: `${seq}-0`, deliveries: 1 };
}

/**
 * Whether a stream entry is the event `d` holds: its id and every field the same (the data as the
 * text the router stores, which JSON.stringify gives back unchanged).
 */
export function isEntryOf(entry: StreamEntries[number] | undefined, d: Delivery): boolean {
  if (entry === undefined || entry[0] !== d.id) return false;
  const field = (name: string): string | undefined => entryField(entry[1], name);
  const { event } = d;
  return (
    field('event_id') === event.event_id &&
    field('type') === event.type &&
    field('source') === event.source &&
    field('ts') === String(event.ts) &&
    field('data') === JSON.stringify(event.data)
  );
}

/** A field of a stream entry's `[field, value, …]` list. */
function entryField(fields: string[], name: string): string | undefined {
  const i = fields.indexOf(name);
  return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
}
