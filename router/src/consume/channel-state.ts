import type { Delivery } from './deliveries.js';
import type { GroupStream } from './group-stream.js';

/** Where one channel of a consumer stands: its stream, its turn in the schedule, what it waits for. */
export interface ChannelState {
  readonly channel: string;
  readonly stream: GroupStream;
  /** Waiting for a turn (in the scheduler's queue). */
  queued: boolean;
  /** Being drained now (a channel is never drained twice at once: its order). */
  running: boolean;
  /** Woken while running: drain once more. */
  again: boolean;
  groupReady: boolean;
  /** This member's own PEL (entries it read before a restart) has been re-read. */
  ownPendingDone: boolean;
  /** The group's offset on this channel as the last sweep saw it while the channel was behind. */
  sweptApplied: number | null | undefined;
  /** Behind at the same offset in two sweeps running: something is stuck (a dead member, lost entries). */
  stalled: boolean;
  /**
   * May hold entries pending in the group or not yet delivered: looked at by the next PendingCheck.
   * Set by the doorbell (and for every channel at start and after a lost pub/sub connection).
   */
  unsettled: boolean;
  /**
   * The first doorbell message heard since the channel's last read: a run may begin on the event it
   * carries while the read is on its way (Consumer.#readRung).
   */
  rung: string | null;
  /** The group holds entries idle past claimIdleMs here (PendingCheck): the next drain claims them. */
  claimable: boolean;
  lastClaimAt: number;
  /** Deliveries waiting for a retry after a failure: the channel waits with them (order). */
  held: { deliveries: Delivery[]; at: number } | null;
  timer: NodeJS.Timeout | null;
}

/** A channel's state before anything happened to it. */
export function newChannelState(channel: string, stream: GroupStream): ChannelState {
  return {
    channel,
    stream,
    queued: false,
    running: false,
    again: false,
    groupReady: false,
    ownPendingDone: false,
    sweptApplied: undefined,
    stalled: false,
    unsettled: true,
    rung: null,
    claimable: false,
    lastClaimAt: 0,
    held: null,
    timer: null,
  };
}
