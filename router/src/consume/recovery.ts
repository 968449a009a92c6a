import { channelClass } from '@recio/contract';
import type { Logger } from 'pino';
import { readOffset } from '../sql/consumer-offset.js';
import type { ChannelState } from './channel-state.js';
import type { ConsumerDeps } from './consumer-deps.js';
import type { ConsumerMetrics } from './consumer-metrics.js';
import type { ResolvedConsumeOptions } from './consumer-options.js';
import { replayedDeliveries, toDeliveries, type Delivery } from './deliveries.js';

/**
 * Crashed members lose nothing (invariant 8), and neither does Redis losing data (invariant 5): for
 * a stalled channel, entries idle in other members are taken over (XAUTOCLAIM); members gone and
 * holding nothing are removed; and when the group holds nothing pending at all, what is missing is
 * read from replay (PostgreSQL keeps what Redis lost or trimmed).
 */
export class Recovery {
  constructor(
    private readonly deps: Pick<ConsumerDeps, 'pool' | 'replay' | 'channels'>,
    private readonly o: ResolvedConsumeOptions,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
  ) {}

  /** Entries idle longer than `claimIdleMs` in any member, taken over (XAUTOCLAIM), at most `count`. */
  async claim(state: ChannelState, count: number): Promise<Delivery[]> {
    const { stream, channel } = state;
    const { group, claimIdleMs } = this.o;
    const claimed = await stream.claimIdle(claimIdleMs, count);
    if (claimed.length === 0) return [];
    this.metrics.claims.inc({ group, class: channelClass(channel) }, claimed.length);
    this.logger.info({ channel, claimed: claimed.length }, 'claimed idle pending entries');
    return toDeliveries(channel, claimed, await stream.deliveryCounts(claimed));
  }

  /** Deliveries to apply for a stalled channel, at most `count`; none when there is nothing to recover. */
  async recover(state: ChannelState, count: number): Promise<Delivery[]> {
    const { stream, channel } = state;
    const { group, claimIdleMs } = this.o;
    const claimed = await this.claim(state, count);
    if (claimed.length > 0) return claimed;
    for (const name of await stream.removeGoneMembers(10 * claimIdleMs)) {
      this.logger.info({ channel, removed: name }, 'removed a consumer that is gone and holds nothing');
    }
    if ((await stream.pendingCount()) > 0) return []; // a live member is still on it
    if (this.deps.channels.isLatest(channel)) {
      state.stalled = false; // latest-value data has no history to recover: a newer value comes
      return [];
    }
    const applied = await readOffset(this.deps.pool, group, channel);
    if (applied === null && this.o.startFrom === 'redis') return [];
    const page = await this.deps.replay(channel, { sinceSeq: (applied ?? 0) + 1, limit: count });
    if (page.events.length === 0) {
      state.stalled = false;
      return [];
    }
    this.logger.info(
      { channel, from: page.events[0]!.seq, n: page.events.length },
      'applying events Redis no longer holds, from replay',
    );
    return replayedDeliveries(page.events);
  }
}
