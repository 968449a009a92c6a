import { backoffDelay } from '@recio/contract';
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import { ExchangeAuthError, ExchangeClosedError, ExchangeError, InvalidOptionError } from './errors.js';
import { frameText } from './frame-text.js';
import { parsePrivateKey, signRequest, WS_SIGNING_PATH } from './signing.js';
import { WsMessageSchema, type WsFill, type WsMarketPosition, type WsMessage, type WsTicker } from './wire.js';

/** Options of the exchange WebSocket. */
export interface ExchangeWebSocketOptions {
  /** `wss://api.elections.kalshi.com/trade-api/ws/v2`, or the paper exchange's. */
  url: string;
  keyId: string;
  privateKeyPem: string;
  /** First reconnect backoff ceiling (full jitter, doubling). @defaultValue 500 */
  reconnectBaseMs?: number;
  /** @defaultValue 30000 */
  reconnectMaxMs?: number;
  /** Interval of the client's ping frames. @defaultValue 10000 */
  pingIntervalMs?: number;
  /** Nothing received (message, ping or pong) for this long = dead connection, reconnect. @defaultValue 30000 */
  deadTimeoutMs?: number;
  /** Handshake timeout. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Clock of the signature timestamp. @defaultValue Date.now */
  now?: () => number;
}

/** A subscribe command the server refused (e.g. code 8, unknown channel). */
export class ExchangeWsCommandError extends ExchangeError {
  readonly wsCode: number | string;

  constructor(wsCode: number | string, message: string) {
    super('EXCHANGE_WS_COMMAND', `exchange WebSocket command failed (${wsCode}): ${message}`);
    this.wsCode = wsCode;
  }
}

/** Events of the exchange WebSocket. */
export interface ExchangeWebSocketEvents {
  /** Connected (first time and after every reconnect). */
  open: [];
  /** Reconnected and re-subscribed: state may have been missed, resync now. */
  reconnected: [];
  /** The connection went away; a reconnect follows unless closed. */
  disconnected: [{ code: number; reason: string }];
  market_position: [WsMarketPosition];
  ticker: [WsTicker];
  fill: [WsFill];
  /** Every parsed server message. */
  message: [WsMessage];
  /** A command error the server sent without a pending command to reject. */
  command_error: [ExchangeWsCommandError];
  /** A socket or handshake error (the connection is retried). */
  transport_error: [Error];
}

interface SubscriptionEntry {
  channels: string[];
  params: Record<string, unknown>;
  /** Resolved with the sids of the first acknowledgement. */
  waiter?: { resolve: (sids: number[]) => void; reject: (error: Error) => void };
}

interface PendingCommand {
  entry: SubscriptionEntry;
  sids: number[];
}

const DEFAULTS = {
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
  pingIntervalMs: 10_000,
  deadTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
};

/**
 * The exchange's authenticated WebSocket: signed upgrade (`GET /trade-api/ws/v2`), the command
 * protocol, typed events, reconnect with backoff and re-subscription, and a dead-connection
 * check (ping frames; nothing heard for `deadTimeoutMs` = reconnect).
 */
export class ExchangeWebSocket extends EventEmitter<ExchangeWebSocketEvents> {
  private readonly url: string;
  private readonly keyId: string;
  private readonly privateKey: KeyObject;
  private readonly o: typeof DEFAULTS & { now: () => number };
  private readonly subscriptions: SubscriptionEntry[] = [];
  private readonly pending = new Map<number, PendingCommand>();
  private socket: WebSocket | undefined;
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  private refused = false;
  private firstOpen: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(options: ExchangeWebSocketOptions) {
    super();
    const o = { ...DEFAULTS, now: Date.now, ...options };
    if (!/^wss?:\/\//.test(o.url)) throw new InvalidOptionError('url', 'must be a ws:// or wss:// URL');
    if (!o.keyId) throw new InvalidOptionError('keyId', 'required');
    for (const name of [
      'reconnectBaseMs',
      'reconnectMaxMs',
      'pingIntervalMs',
      'deadTimeoutMs',
      'connectTimeoutMs',
    ] as const) {
      if (!(o[name] > 0)) throw new InvalidOptionError(name, `must be > 0, got ${o[name]}`);
    }
    try {
      this.privateKey = parsePrivateKey(o.privateKeyPem);
    } catch (error) {
      throw new InvalidOptionError('privateKeyPem', `not a private key (${(error as Error).message})`);
    }
    this.url = o.url;
    this.keyId = o.keyId;
    this.o = o;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /**
   * Connects; resolves on the first open. Rejects with ExchangeAuthError if the first handshake is
   * refused with 401/403 (retrying bad credentials is pointless); other failures are retried.
   */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new ExchangeClosedError('ExchangeWebSocket'));
    if (this.everOpened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      if (!this.socket && !this.reconnectTimer) this.connect();
    });
  }

  /**
   * Subscribes to `channels` (`market_positions`, `ticker`, `fill`) with extra params
   * (`market_tickers`); resolves with the subscription ids. Kept and replayed after a reconnect.
   */
  subscribe(channels: string[], params: Record<string, unknown> = {}): Promise<number[]> {
    if (this.closed) return Promise.reject(new ExchangeClosedError('ExchangeWebSocket'));
    if (channels.length === 0) return Promise.reject(new InvalidOptionError('channels', 'at least one channel'));
    return new Promise((resolve, reject) => {
      const entry: SubscriptionEntry = { channels: [...channels], params: { ...params }, waiter: { resolve, reject } };
      this.subscriptions.push(entry);
      // The ack only wakes `reconnected` watchers; this caller's promise settles through `waiter`.
      if (this.connected) void this.sendSubscribe(entry);
    });
  }

  /** Closes the connection and stops reconnecting. Idempotent; keeps its promise. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.closed = true;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      const closedError = new ExchangeClosedError('ExchangeWebSocket');
      this.firstOpen?.reject(closedError);
      this.firstOpen = undefined;
      for (const entry of this.subscriptions) entry.waiter?.reject(closedError);
      const socket = this.socket;
      if (!socket || socket.readyState === WebSocket.CLOSED) {
        clearInterval(this.pingTimer);
        this.socket = undefined;
        return resolve();
      }
      // A peer that never answers the close frame must not hold close() up.
      const force = setTimeout(() => socket.terminate(), 2_000);
      // onClose (closed = true: no reconnect) clears the timers and announces `disconnected`.
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'client closing');
    });
    return this.closing;
  }

  private connect(): void {
    if (this.closed) return;
    this.reconnectTimer = undefined;
    const headers = signRequest({
      keyId: this.keyId,
      privateKey: this.privateKey,
      method: 'GET',
      path: WS_SIGNING_PATH,
      timestampMs: this.o.now(),
    });
    const socket = new WebSocket(this.url, { headers: { ...headers }, handshakeTimeout: this.o.connectTimeoutMs });
    this.socket = socket;
    socket.on('open', () => this.onOpen(socket));
    socket.on('message', (data) => this.onData(frameText(data)));
    socket.on('ping', () => (this.lastHeard = Date.now()));
    socket.on('pong', () => (this.lastHeard = Date.now()));
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const error =
        status === 401 || status === 403
          ? new ExchangeAuthError(status, 'handshake_refused', `WebSocket upgrade refused with ${status}`)
          : new ExchangeError('EXCHANGE_WS_HANDSHAKE', `WebSocket upgrade answered ${status}`);
      if (error instanceof ExchangeAuthError && !this.everOpened) {
        // Credentials refused before ever connecting: retrying cannot help.
        this.refused = true;
        this.firstOpen?.reject(error);
        this.firstOpen = undefined;
      }
      this.emitTransportError(error);
      socket.terminate();
    });
    socket.on('error', (error) => this.emitTransportError(error));
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket) return;
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    this.lastHeard = Date.now();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(
      () => this.heartbeat(socket),
      Math.min(this.o.pingIntervalMs, this.o.deadTimeoutMs / 2),
    );
    this.emit('open');
    this.firstOpen?.resolve();
    this.firstOpen = undefined;
    const acks = this.subscriptions.map((entry) => this.sendSubscribe(entry));
    if (reconnect) {
      // Announce the reconnect once the subscriptions are back, so a resync misses nothing after it.
      void Promise.allSettled(acks).then(() => {
        if (socket === this.socket && !this.closed) this.emit('reconnected');
      });
    }
  }

  private sendSubscribe(entry: SubscriptionEntry): Promise<void> {
    const id = this.nextId++;
    this.pending.set(id, { entry, sids: [] });
    this.socket?.send(JSON.stringify({ id, cmd: 'subscribe', params: { ...entry.params, channels: entry.channels } }));
    return new Promise((resolve) => {
      const check = () => {
        if (!this.pending.has(id)) {
          this.off('message', check);
          this.off('disconnected', check);
          resolve();
        }
      };
      this.on('message', check);
      this.on('disconnected', check);
    });
  }

  private heartbeat(socket: WebSocket): void {
    if (socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > this.o.deadTimeoutMs) {
      this.emitTransportError(new ExchangeError('EXCHANGE_WS_DEAD', `nothing heard for ${this.o.deadTimeoutMs} ms`));
      socket.terminate();
      return;
    }
    socket.ping();
  }

  private onData(text: string): void {
    this.lastHeard = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = WsMessageSchema.safeParse(json);
    if (!parsed.success) return; // channels this client does not model
    const message = parsed.data;
    if (message.type === 'subscribed' && message.id !== undefined) {
      const command = this.pending.get(message.id);
      if (command) {
        command.sids.push(message.msg.sid);
        if (command.sids.length >= command.entry.channels.length) {
          this.pending.delete(message.id);
          command.entry.waiter?.resolve(command.sids);
          delete command.entry.waiter;
        }
      }
    } else if (message.type === 'error') {
      const error = new ExchangeWsCommandError(message.msg.code, message.msg.msg ?? message.msg.message ?? '');
      const command = message.id !== undefined ? this.pending.get(message.id) : undefined;
      if (command) {
        this.pending.delete(message.id as number);
        // A refused subscription is not replayed after a reconnect.
        const index = this.subscriptions.indexOf(command.entry);
        if (index !== -1) this.subscriptions.splice(index, 1);
        command.entry.waiter?.reject(error);
        delete command.entry.waiter;
      } else {
        this.emit('command_error', error);
      }
    } else if (message.type === 'market_position') {
      this.emit('market_position', message);
    } else if (message.type === 'ticker') {
      this.emit('ticker', message);
    } else if (message.type === 'fill') {
      this.emit('fill', message);
    }
    this.emit('message', message);
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    this.socket = undefined;
    this.pending.clear();
    this.emit('disconnected', { code, reason });
    if (this.closed || this.refused) return;
    const delay = backoffDelay(
      { baseMs: this.o.reconnectBaseMs, maxMs: this.o.reconnectMaxMs, jitter: 'full' },
      this.attempt,
    );
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private emitTransportError(error: Error): void {
    // Only emit when someone listens: an EventEmitter would otherwise have nothing to do with it.
    if (this.listenerCount('transport_error') > 0) this.emit('transport_error', error);
  }
}
