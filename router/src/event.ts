import { seqOfEntryId } from '@recio/contract';
import { InvalidEventError } from './errors.js';

/**
 * One event as every part of the platform sees it: in a stream entry, on pub/sub, in a
 * replay page, on a WebSocket, in `recio replay` output. Field names are the wire names.
 */
export interface RecioEvent<T = unknown> {
  /** UUID, unique across all channels; consumers and browsers deduplicate by it. */
  event_id: string;
  channel: string;
  /**
   * Exactly-once classes: gapless per channel, starting at 1; equals commit order on the channel.
   * Latest-value classes (prices, markets): the datum's increasing version, with gaps.
   */
  seq: number;
  type: string;
  /** The service (or tool) that published it. */
  source: string;
  /** Commit time, milliseconds since the epoch. */
  ts: number;
  data: T;
}

/** A committed event with its data still as the JSON text stored in event_log. */
export type CommittedEvent = Omit<RecioEvent, 'data'> & {
  /** The exact text stored: streams hold the same, so entries are deterministic. */
  dataText: string;
};

/** Turns a committed event into the event consumers see. */
export function toRecioEvent(e: CommittedEvent): RecioEvent {
  return {
    event_id: e.event_id,
    channel: e.channel,
    seq: e.seq,
    type: e.type,
    source: e.source,
    ts: e.ts,
    data: JSON.parse(e.dataText),
  };
}

/**
 * Decodes an XRANGE entry `[id, [field, value, ...]]` of `channel`'s stream. An entry the append
 * script did not write (a field missing, data that is not JSON) throws InvalidEventError: the
 * consumer dead-letters it in its place instead of handing it on.
 */
export function decodeStreamEntry(channel: string, id: string, fields: string[]): RecioEvent {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
  const missing = ['event_id', 'type', 'source', 'ts', 'data'].filter((f) => map[f] === undefined);
  if (missing.length > 0) throw new InvalidEventError(`stream entry ${id} of ${channel} has no ${missing.join(', ')}`);
  const ts = Number(map.ts);
  if (!Number.isFinite(ts))
    throw new InvalidEventError(`stream entry ${id} of ${channel} has a ts that is not a number`);
  return {
    event_id: map.event_id!,
    channel,
    seq: seqOfEntryId(id),
    type: map.type!,
    source: map.source!,
    ts,
    data: JSON.parse(map.data!),
  };
}
