import { channelClass, HEALTH_CHANNEL, isChannel, isChannelPattern } from '@recio/contract';
import {
  ClientFrame,
  GATEWAY_CLOSE,
  isGapless,
  MAX_CLIENT_FRAME_BYTES,
  MAX_SUBSCRIPTIONS,
  type GatewayErrorCode,
  type ServerFrame,
} from '@recio/platform';
import { errorCode, type RecioEvent, type ReplayOptions, type ReplayPage } from '@recio/router';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Principal } from '../api-tokens.js';
import { mayReadChannel } from '../replay-access.js';
import { traderViewOf } from '../system-view.js';
import type { GatewayHub, HubSubscriber } from './hub.js';
import type { GatewayMetrics } from './metrics.js';

/** How much a socket may fall behind. */
export interface SocketLimits {
  /** Frames queued for a socket beyond what the kernel takes; past it, RESYNC (or coalescing). */
  queueMax: number;
  /** Bytes ws may hold unsent before frames wait in the queue instead. */
  highWaterBytes: number;
}

/** What a connection uses. */
export interface ConnectionDeps {
  hub: GatewayHub;
  replay: (channel: string, options: ReplayOptions) => Promise<ReplayPage>;
  /** Spends one history read of the user's replay budget; false when none is left. */
  spendReplay: (userId: string) => Promise<boolean>;
  metrics: GatewayMetrics;
  logger: Logger;
  limits: SocketLimits;
}

const REPLAY_PAGE = 1_000;

/** A frame waiting for its socket: its channel ('' for a control frame), text, and a live event's commit time. */
interface Queued {
  channel: string;
  text: string;
  committedAt: number | undefined;
}

/** An event as its frame's text. */
function eventFrameText(event: RecioEvent): string {
  const frame: ServerFrame = {
    op: 'event',
    channel: event.channel,
    seq: event.seq,
    event_id: event.event_id,
    type: event.type,
    ts: event.ts,
    data: event.data,
  };
  return JSON.stringify(frame);
}

// The hub hands one event object to every socket subscribed to its channel: it is serialised once.
const frameTexts = new WeakMap<RecioEvent, string>();
function sharedFrameText(event: RecioEvent): string {
  let text = frameTexts.get(event);
  if (text === undefined) frameTexts.set(event, (text = eventFrameText(event)));
  return text;
}

/** A frame the client got wrong: answered with an error frame; the socket stays open. */
class FrameError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly channel?: string,
  ) {
    super(message);
  }
}

/** One subscription of one socket: a concrete channel (with the last seq sent) or, for an admin, a pattern. */
class Subscription implements HubSubscriber {
  /** The last seq sent on a concrete channel. */
  last = 0;
  /** Events the hub handed on while history was being read, sent once it has been; null when live. */
  pending: RecioEvent[] | null = [];
  closed = false;

  constructor(
    readonly name: string,
    private readonly connection: GatewayConnection,
  ) {}

  deliver(event: RecioEvent): void {
    this.connection.offer(this, event);
  }
}

/**
 * One browser's (or script's) socket: parses its frames, authorises each subscription, serves what
 * it missed from history and then what the hub hands on, in seq order, each event once. A slow
 * socket's frames wait in a bounded queue: a newer latest-value event replaces its queued
 * predecessor; any other overflow closes the socket with RESYNC, so a slow client never slows the
 * others or grows the process.
 */
export class GatewayConnection {
  readonly #ws: WebSocket;
  readonly #principal: Principal;
  readonly #deps: ConnectionDeps;
  readonly #subs = new Map<string, Subscription>();
  /** Frames waiting for the socket to drain. */
  readonly #queue: Queued[] = [];
  #closed = false;

  constructor(ws: WebSocket, principal: Principal, deps: ConnectionDeps) {
    this.#ws = ws;
    this.#principal = principal;
    this.#deps = deps;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', () => this.#dispose());
    ws.on('error', () => ws.terminate());
  }

  get principal(): Principal {
    return this.#principal;
  }

  /** Closes the socket with `code` (and drops its subscriptions at once). */
  close(code: number, reason: string): void {
    this.#dispose();
    this.#ws.close(code, reason);
  }

  /** Drops the socket without a close handshake (it stopped answering pings). */
  terminate(): void {
    this.#dispose();
    this.#ws.terminate();
  }

  ping(): void {
    this.#ws.ping();
  }

  #dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs.values()) this.#drop(sub);
    this.#subs.clear();
    this.#queue.length = 0;
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    let id: string | undefined;
    try {
      // ws hands a frame as one Buffer, or as its fragments (binaryType 'nodebuffer').
      const bytes = Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.isBuffer(data) ? data : null;
      const size = bytes?.length ?? 0;
      if (isBinary) throw new FrameError('BAD_FRAME', 'frames are JSON text');
      if (size > MAX_CLIENT_FRAME_BYTES) {
        throw new FrameError('FRAME_TOO_LARGE', `a frame is at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
      }
      const text = bytes ? bytes.toString('utf8') : String(data);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new FrameError('BAD_FRAME', 'not JSON');
      }
      const fields = typeof json === 'object' && json !== null ? (json as { op?: unknown; id?: unknown }) : {};
      const op = fields.op;
      id = typeof fields.id === 'string' ? fields.id.slice(0, 64) : undefined;
      if (op !== 'subscribe' && op !== 'unsubscribe' && op !== 'ping') {
        throw new FrameError('UNKNOWN_OP', `unknown op ${JSON.stringify(op)}: subscribe, unsubscribe or ping`);
      }
      const parsed = ClientFrame.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new FrameError('BAD_FRAME', `${issue?.path.join('.') || 'frame'}: ${issue?.message ?? 'invalid'}`);
      }
      const frame = parsed.data;
      if (frame.op === 'ping') this.#sendControl({ op: 'pong', id: frame.id });
      else if (frame.op === 'unsubscribe') this.#unsubscribe(frame.channel, frame.id);
      else void this.#subscribe(frame.channel, frame.since, frame.id);
    } catch (err) {
      if (err instanceof FrameError) return this.#refuse(err, id);
      // Not the client's doing: said, logged, and the socket and the process go on.
      this.#deps.logger.error({ err }, 'gateway could not handle a frame');
      this.#refuse(new FrameError('BAD_FRAME', 'the frame could not be handled'), id);
    }
  }

  #refuse(err: FrameError, id: string | undefined): void {
    this.#deps.metrics.badFrames.inc({ code: err.code });
    this.#sendControl({
      op: 'error',
      code: err.code,
      message: err.message,
      ...(err.channel === undefined ? {} : { channel: err.channel }),
      ...(id === undefined ? {} : { id }),
    });
  }

  #authorise(channel: string): void {
    if (isChannelPattern(channel)) {
      if (!this.#principal.admin)
        throw new FrameError('FORBIDDEN_CHANNEL', 'only an admin may subscribe to a pattern', channel);
      return;
    }
    if (!isChannel(channel))
      throw new FrameError('INVALID_CHANNEL', 'expected <class>:<name> or <class>:<prefix>*', channel);
    if (!mayReadChannel(this.#principal, channel)) {
      throw new FrameError('FORBIDDEN_CHANNEL', `${channel} is not yours to read`, channel);
    }
  }

  /**
   * Serves one subscribe frame. The client may unsubscribe, or subscribe to the channel again, while
   * this one awaits the head, the replay budget or history: from then on it sends, counts and drops
   * nothing (`gone`); the newer subscription is the channel's.
   */
  async #subscribe(channel: string, since: number | undefined, id: string | undefined): Promise<void> {
    let sub: Subscription | undefined;
    const gone = (): boolean => sub?.closed === true || this.#closed;
    try {
      this.#authorise(channel);
      const previous = this.#subs.get(channel);
      if (previous)
        this.#drop(previous); // a resubscription starts again from its own `since`
      else if (this.#subs.size >= MAX_SUBSCRIPTIONS) {
        throw new FrameError(
          'TOO_MANY_SUBSCRIPTIONS',
          `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`,
          channel,
        );
      }
      sub = new Subscription(channel, this);
      this.#subs.set(channel, sub);
      this.#deps.hub.add(channel, sub); // from here the hub's events wait in sub.pending
      if (isChannelPattern(channel)) {
        sub.pending = null;
        this.#sendControl({ op: 'subscribed', channel, seq: null, ...(id === undefined ? {} : { id }) });
        return;
      }
      const head = await this.#deps.hub.head(channel);
      if (gone()) return;
      sub.last = since ?? head;
      const latest = this.#deps.hub.latest(channel);
      if (since !== undefined && since < head && !isGapless(channel) && latest?.seq === head) {
        // A latest-value channel whose newest event the hub holds: sent from memory, nothing read.
        sub.last = head;
        this.#sendEvent(latest, false);
      } else if (since !== undefined && since < head) {
        const allowed = await this.#deps.spendReplay(this.#principal.userId);
        if (gone()) return;
        if (!allowed) {
          this.#drop(sub);
          throw new FrameError('RATE_LIMITED', 'too many resyncs; retry in a minute', channel);
        }
        this.#deps.metrics.resyncs.inc({ class: channelClass(channel) });
        // Latest-value channels: only the newest event counts.
        if (!isGapless(channel)) sub.last = head - 1;
      }
      await this.#goLive(sub, head);
      if (gone()) return;
      this.#sendControl({ op: 'subscribed', channel, seq: sub.last, ...(id === undefined ? {} : { id }) });
    } catch (err) {
      if (err instanceof FrameError) return this.#refuse(err, id);
      if (gone()) return; // its failure is no longer the client's concern
      if (sub) this.#drop(sub);
      const code = errorCode(err) === 'REPLAY_EXPIRED' ? 'REPLAY_EXPIRED' : 'REPLAY_FAILED';
      if (code === 'REPLAY_FAILED') this.#deps.logger.warn({ err, channel }, 'gateway could not read history');
      this.#refuse(
        new FrameError(
          code,
          code === 'REPLAY_EXPIRED' ? 'history no longer kept: reload' : 'history could not be read; subscribe again',
          channel,
        ),
        id,
      );
    }
  }

  #unsubscribe(channel: string, id: string | undefined): void {
    const sub = this.#subs.get(channel);
    if (!sub) throw new FrameError('NOT_SUBSCRIBED', `not subscribed to ${channel}`, channel);
    this.#drop(sub);
    this.#sendControl({ op: 'unsubscribed', channel, ...(id === undefined ? {} : { id }) });
  }

  #drop(sub: Subscription): void {
    sub.closed = true;
    this.#deps.hub.remove(sub.name, sub);
    if (this.#subs.get(sub.name) === sub) this.#subs.delete(sub.name);
  }

  /** An event of one of this socket's subscriptions, from the hub. */
  offer(sub: Subscription, event: RecioEvent): void {
    if (sub.closed || this.#closed) return;
    if (sub.pending !== null) {
      sub.pending.push(event);
      return;
    }
    if (isChannelPattern(sub.name)) return this.#sendEvent(event, true);
    if (event.seq <= sub.last) return; // already sent (history and live overlapped)
    if (event.seq > sub.last + 1 && isGapless(event.channel)) {
      // The hub saw the channel first after a gap: the missing events come from history first.
      sub.pending = [event];
      void this.#goLive(sub, event.seq - 1).catch((err: unknown) => {
        this.#deps.logger.warn({ err, channel: sub.name }, 'gateway could not fill a gap: resync');
        this.close(GATEWAY_CLOSE.RESYNC, 'resync');
      });
      return;
    }
    sub.last = event.seq;
    this.#sendEvent(event, true);
  }

  /** Sends the channel's history after `sub.last` up to `upTo`, then what waited meanwhile, then live. */
  async #goLive(sub: Subscription, upTo: number): Promise<void> {
    let target = upTo;
    for (;;) {
      while (sub.last < target) {
        const page = await this.#deps.replay(sub.name, {
          sinceSeq: sub.last + 1,
          limit: Math.min(REPLAY_PAGE, target - sub.last),
        });
        if (sub.closed || this.#closed) return;
        const events = page.events.filter((e) => e.seq > sub.last && e.seq <= target);
        for (const event of events) this.#sendEvent(event, false);
        if (events.length === 0) break; // nothing more kept below the target
        sub.last = events.at(-1)!.seq;
      }
      const waiting = sub.pending ?? [];
      while (waiting.length > 0) {
        const event = waiting[0]!;
        if (event.seq <= sub.last) {
          waiting.shift();
          continue;
        }
        if (event.seq > sub.last + 1 && isGapless(event.channel)) break;
        waiting.shift();
        sub.last = event.seq;
        this.#sendEvent(event, true);
      }
      if (waiting.length === 0) {
        sub.pending = null;
        return;
      }
      target = waiting[0]!.seq - 1;
    }
  }

  #sendEvent(event: RecioEvent, live: boolean): void {
    const text =
      event.channel === HEALTH_CHANNEL && !this.#principal.admin
        ? eventFrameText(traderViewOf(event, this.#principal.userId))
        : sharedFrameText(event);
    this.#send(event.channel, text, live ? event.ts : undefined);
  }

  #sendControl(frame: ServerFrame): void {
    this.#send('', JSON.stringify(frame));
  }

  /** Writes a frame, or queues it while the socket is behind; `committedAt` times a live event. */
  #send(channel: string, text: string, committedAt?: number): void {
    if (this.#closed) return;
    const { metrics, limits } = this.#deps;
    const cls = channel === '' ? '' : channelClass(channel);
    if (this.#queue.length === 0 && this.#ws.bufferedAmount < limits.highWaterBytes) {
      this.#write(cls, text, committedAt);
      return;
    }
    if (channel !== '' && !isGapless(channel)) {
      const queued = this.#queue.find((q) => q.channel === channel);
      if (queued) {
        queued.text = text;
        queued.committedAt = committedAt;
        metrics.coalesced.inc({ class: cls });
        return;
      }
    }
    if (this.#queue.length >= limits.queueMax) {
      metrics.slowClientDrops.inc();
      this.#deps.logger.info(
        { user: this.#principal.userId, queued: this.#queue.length },
        'slow socket closed: resync',
      );
      this.close(GATEWAY_CLOSE.RESYNC, 'resync: too far behind');
      return;
    }
    this.#queue.push({ channel, text, committedAt });
  }

  #write(cls: string, text: string, committedAt?: number): void {
    this.#ws.send(text, (err) => {
      if (err) return;
      if (cls !== '') {
        this.#deps.metrics.messagesOut.inc({ class: cls });
        if (committedAt !== undefined)
          this.#deps.metrics.sendLag.observe({ class: cls }, (Date.now() - committedAt) / 1000);
      }
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#queue.length > 0 && this.#ws.bufferedAmount < this.#deps.limits.highWaterBytes) {
      const { channel, text, committedAt } = this.#queue.shift()!;
      this.#write(channel === '' ? '' : channelClass(channel), text, committedAt);
    }
  }
}
