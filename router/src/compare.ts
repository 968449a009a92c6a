import type { Pool } from 'pg';
import { streamKey } from './channels.js';
import { isKeyRefusal } from './errors.js';
import type { RouterScripts } from './redis/scripts.js';
import { pageHeads, type ChannelHead } from './sql/channel-heads.js';

/** A channel's head in PostgreSQL beside its stream's last seq in Redis. */
export interface ChannelState {
  channel: string;
  /** Last committed seq (PostgreSQL). */
  head: number;
  /** Last seq in the stream (Redis), 0 when the stream is missing. */
  last: number;
}

/** A channel whose stream Redis refused to read (a key that is not a stream, say), and why. */
export interface UnreadChannel {
  channel: string;
  /** Last committed seq (PostgreSQL). */
  head: number;
  /** Redis's error reply. */
  error: Error;
}

/** Some channels compared: those read, and those whose stream Redis refused to read. */
export interface ComparedChannels {
  states: ChannelState[];
  unread: UnreadChannel[];
}

/**
 * Reads the stream ends of some channels (one script call each, all sent at once). A channel
 * Redis answers with an error reply is set apart in `unread`, so one bad key does not hide the
 * others; any other failure (Redis away) rejects.
 */
export async function streamEnds(scripts: RouterScripts, heads: readonly ChannelHead[]): Promise<ComparedChannels> {
  const lasts = await Promise.allSettled(heads.map((h) => scripts.lastSeq(streamKey(h.channel))));
  const out: ComparedChannels = { states: [], unread: [] };
  lasts.forEach((result, i) => {
    const { channel, last_seq: head } = heads[i]!;
    if (result.status === 'fulfilled') out.states.push({ channel, head, last: result.value });
    else if (isKeyRefusal(result.reason)) out.unread.push({ channel, head, error: result.reason });
    else throw result.reason;
  });
  return out;
}

/**
 * Every channel's PostgreSQL head beside its Redis stream end, a page at a time in channel
 * order: the relay's full comparison and `recio check` both walk this.
 */
export async function* compareAll(
  pool: Pool,
  scripts: RouterScripts,
  pageSize: number,
): AsyncGenerator<ComparedChannels> {
  let after = '';
  for (;;) {
    const heads = await pageHeads(pool, after, pageSize);
    if (heads.length === 0) return;
    yield await streamEnds(scripts, heads);
    after = heads.at(-1)!.channel;
    if (heads.length < pageSize) return;
  }
}
