import type { Pool } from 'pg';
import { streamKey } from './channels.js';
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

/** Reads the stream ends of some channels (one script call each, all sent at once). */
export async function streamEnds(scripts: RouterScripts, heads: readonly ChannelHead[]): Promise<ChannelState[]> {
  const lasts = await Promise.all(heads.map((h) => scripts.lastSeq(streamKey(h.channel))));
  return heads.map((h, i) => ({ channel: h.channel, head: h.last_seq, last: lasts[i]! }));
}

/**
 * Every channel's PostgreSQL head beside its Redis stream end, a page at a time in channel
 * order: the relay's full comparison and `recio check` both walk this.
 */
export async function* compareAll(
  pool: Pool,
  scripts: RouterScripts,
  pageSize: number,
): AsyncGenerator<ChannelState[]> {
  let after = '';
  for (;;) {
    const heads = await pageHeads(pool, after, pageSize);
    if (heads.length === 0) return;
    yield await streamEnds(scripts, heads);
    after = heads.at(-1)!.channel;
    if (heads.length < pageSize) return;
  }
}
