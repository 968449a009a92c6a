import { channelMatches, isChannelPattern } from '@recio/contract';
import { GATEWAY_CLOSE, GATEWAY_PATH, isGapless, ServerFrame, type EventFrame } from '@recio/platform/browser';

/** What the page shows of its socket. */
export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'resyncing';

/**
 * One channel (or, for an admin, a pattern such as `trades:*`) the page follows: what it does with
 * an event, and what to do when history is gone.
 */
export interface Follow {
  channel: string;
  onEvent: (event: EventFrame) => void;
  /**
   * What was missed cannot be replayed: the gateway no longer has it (REPLAY_EXPIRED), or the follow
   * is a pattern (live only) subscribed again after a disconnect. Reload the state from the API.
   */
  onExpired: () => void;
}

/** Event ids remembered per channel, for dropping one delivered twice. */
const MAX_SEEN = 1_000;

/** What the link dropped or repaired: frames seen twice, frames that failed the schema, gaps resynced. */
export interface LinkStats {
  duplicates: number;
  badFrames: number;
  resyncs: number;
}

/** What the link does when the session that opened it ends. */
export interface LinkSession {
  /** Whether the session still holds (asked when a socket could not even open: a refused upgrade looks like any failure). */
  signedIn: () => Promise<boolean>;
  /** The session ended (the gateway closed with UNAUTHENTICATED, or it was found ended): the link has stopped. */
  onSignedOut: () => void;
}

/**
 * The page's one WebSocket: subscribes to each followed channel with the last seq it has, drops an
 * event it has seen (by event_id), resubscribes from its last seq on a gap (gapless channels) or after
 * any disconnect, and reconnects with exponential backoff and jitter. Every frame is checked with the
 * protocol's schema; one that fails is dropped and counted. No polling: everything arrives pushed.
 */
export class LiveLink {
  readonly #follows = new Map<string, Follow>();
  /** The last seq applied per channel (what a resubscription starts after). */
  readonly #last = new Map<string, number>();
  /** The ids of the events applied, per channel (newest MAX_SEEN). */
  readonly #seen = new Map<string, Set<string>>();
  readonly #onState: (state: LinkState) => void;
  readonly #onStats: (stats: LinkStats) => void;
  readonly #stats: LinkStats = { duplicates: 0, badFrames: 0, resyncs: 0 };
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = false;
  #resyncing = new Set<string>();
  /** Whether the socket now open is not the first (a pattern's state must then be reloaded). */
  #reconnected = false;
  #opened = false;
  readonly #session: LinkSession | undefined;

  constructor(
    onState: (state: LinkState) => void,
    onStats: (stats: LinkStats) => void = () => undefined,
    session?: LinkSession,
  ) {
    this.#onState = onState;
    this.#onStats = onStats;
    this.#session = session;
  }

  #count(what: keyof LinkStats): void {
    this.#stats[what] += 1;
    this.#onStats({ ...this.#stats });
  }

  /**
   * Follows `channel`; `since` is the seq the page's state is at (after it loaded it), if known. A
   * state loaded again (an older one than the events applied since) is followed again from its own
   * seq: what came after it is applied again, not dropped as seen.
   */
  follow(follow: Follow, since?: number): void {
    this.#follows.set(follow.channel, follow);
    if (since !== undefined) {
      this.#last.set(follow.channel, since);
      this.#seen.delete(follow.channel);
    }
    this.#subscribe(follow.channel);
  }

  /** The last seq applied on `channel`. */
  lastSeq(channel: string): number | undefined {
    return this.#last.get(channel);
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#ws?.close();
  }

  #connect(): void {
    this.#onState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${GATEWAY_PATH}`);
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#reconnected = this.#opened;
      this.#opened = true;
      this.#attempt = 0;
      this.#resyncing = new Set(this.#follows.keys());
      this.#onState(this.#resyncing.size > 0 ? 'resyncing' : 'live');
      for (const channel of this.#follows.keys()) this.#subscribe(channel);
    };
    ws.onmessage = (message) => this.#onFrame(message.data);
    ws.onclose = (close) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (this.#stopped) return;
      if (close.code === GATEWAY_CLOSE.UNAUTHENTICATED) return this.#signedOut();
      if (!opened && this.#session) {
        // Refused, or the network: only the API can tell. Signed out, the page goes back to its sign-in.
        const session = this.#session;
        void session.signedIn().then(
          (yes) => (yes ? this.#reconnectLater(close.code) : this.#signedOut()),
          () => this.#reconnectLater(close.code),
        );
        return;
      }
      this.#reconnectLater(close.code);
    };
  }

  #signedOut(): void {
    if (this.#stopped) return; // stopped meanwhile (signed out already, or the page moved on)
    this.stop();
    this.#session?.onSignedOut();
  }

  #reconnectLater(code: number): void {
    if (this.#stopped) return;
    // RESYNC, a shutdown, a network loss: all the same here, since every subscription resumes from its last seq.
    const base = code === GATEWAY_CLOSE.RESYNC ? 100 : 250;
    const delay = Math.min(10_000, base * 2 ** this.#attempt) * (0.5 + Math.random() / 2);
    this.#attempt += 1;
    this.#onState('reconnecting');
    setTimeout(() => {
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  #subscribe(channel: string): void {
    const ws = this.#ws;
    if (ws?.readyState !== WebSocket.OPEN) return;
    const since = this.#last.get(channel);
    ws.send(JSON.stringify({ op: 'subscribe', channel, ...(since === undefined ? {} : { since }) }));
  }

  #onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      const parsed = ServerFrame.safeParse(JSON.parse(String(data)));
      if (!parsed.success) throw new Error(parsed.error.message);
      frame = parsed.data;
    } catch {
      this.#count('badFrames');
      return;
    }
    switch (frame.op) {
      case 'event':
        return this.#onEvent(frame);
      case 'subscribed':
        if (frame.seq !== null && !this.#last.has(frame.channel)) this.#last.set(frame.channel, frame.seq);
        // A pattern is live only: after a reconnect its state is reloaded instead of replayed.
        if (frame.seq === null && this.#reconnected) this.#follows.get(frame.channel)?.onExpired();
        this.#resyncing.delete(frame.channel);
        if (this.#resyncing.size === 0) this.#onState('live');
        return;
      case 'error':
        if (frame.code === 'REPLAY_EXPIRED' && frame.channel !== undefined) {
          this.#last.delete(frame.channel);
          this.#follows.get(frame.channel)?.onExpired();
          this.#subscribe(frame.channel);
        }
        if ((frame.code === 'RATE_LIMITED' || frame.code === 'REPLAY_FAILED') && frame.channel !== undefined) {
          // The user's replay budget is spent (many tabs resyncing at once), or the gateway could not
          // read the channel's history (PostgreSQL or Redis away for a moment): the channel is not
          // followed until asked again, so it is, later, from the same seq; resyncing meanwhile.
          const channel = frame.channel;
          const wait = frame.code === 'RATE_LIMITED' ? 5_000 : 1_000;
          this.#resyncing.add(channel);
          this.#onState('resyncing');
          setTimeout(() => this.#follows.has(channel) && this.#subscribe(channel), wait + Math.random() * wait);
        }
        return;
      default:
        return;
    }
  }

  #onEvent(event: EventFrame): void {
    // The channel's own follow and any pattern follow matching it each get the event (once).
    const follows = [...this.#follows.values()].filter(
      (f) => f.channel === event.channel || (isChannelPattern(f.channel) && channelMatches(f.channel, event.channel)),
    );
    if (follows.length === 0) return;
    const gapless = isGapless(event.channel) && this.#follows.has(event.channel);
    const last = this.#last.get(event.channel);
    let seen = this.#seen.get(event.channel);
    if (!seen) this.#seen.set(event.channel, (seen = new Set()));
    if (seen.has(event.event_id) || (last !== undefined && event.seq <= last)) {
      this.#count('duplicates');
      return;
    }
    if (last !== undefined && event.seq > last + 1 && gapless) {
      // A gap: ask again from what we have; the gateway replays the rest in order.
      this.#count('resyncs');
      this.#resyncing.add(event.channel);
      this.#onState('resyncing');
      this.#subscribe(event.channel);
      return;
    }
    seen.add(event.event_id);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value!);
    this.#last.set(event.channel, event.seq);
    for (const f of follows) f.onEvent(event);
  }
}
