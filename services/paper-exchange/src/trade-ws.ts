import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { frameText } from '@recio/exchange-client';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Quote } from './quote-model.js';
import type { PositionState } from './position-math.js';
import type { World, WorldEvent } from './world.js';
import type { Fill } from '@recio/exchange-client';

// The exchange's WebSocket protocol, the subset the platform uses: commands
// `{ id, cmd: 'subscribe' | 'unsubscribe', params }`, one `subscribed` reply per channel, numeric
// error codes as the exchange documents them, and the channels `ticker`, `market_positions`
// and `fill`. The connection is authenticated at the upgrade (see server.ts).

/** Error codes of the exchange's WebSocket protocol. */
export const WS_ERROR = {
  unableToProcess: 1,
  paramsRequired: 2,
  channelsRequired: 3,
  sidsRequired: 4,
  unknownCommand: 5,
  unknownSid: 7,
  unknownChannel: 8,
  invalidParameter: 11,
} as const;

const CHANNELS = new Set(['ticker', 'market_positions', 'fill']);
/** A client whose unsent backlog passes this is too slow and is disconnected. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

interface Subscription {
  sid: number;
  channel: string;
  tickers: Set<string> | null;
}

interface Connection {
  socket: WebSocket;
  keyId: string;
  subscriptions: Map<number, Subscription>;
  lastQuotes: Map<string, string>;
  alive: boolean;
}

/** Options of the trade WebSocket. */
export interface TradeWebSocketOptions {
  world: World;
  /** Interval of the server's ping frames; a client that missed the previous pong is dropped. @defaultValue 10000 */
  pingIntervalMs?: number;
}

/** The authenticated WebSocket at /trade-api/ws/v2. */
export class TradeWebSocket {
  private readonly world: World;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly connections = new Set<Connection>();
  private readonly unsubscribeWorld: () => void;
  private readonly pingTimer: NodeJS.Timeout;
  private nextSid = 1;

  constructor(options: TradeWebSocketOptions) {
    this.world = options.world;
    this.unsubscribeWorld = this.world.on((event) => this.onWorldEvent(event));
    this.pingTimer = setInterval(() => this.ping(), options.pingIntervalMs ?? 10_000);
    this.pingTimer.unref();
  }

  /** Completes an upgrade that was already authenticated as `keyId`. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer, keyId: string): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = {
        socket: ws,
        keyId,
        subscriptions: new Map(),
        lastQuotes: new Map(),
        alive: true,
      };
      this.connections.add(connection);
      ws.on('pong', () => (connection.alive = true));
      ws.on('message', (data: RawData) => this.onCommand(connection, data));
      ws.on('close', () => this.connections.delete(connection));
      ws.on('error', () => ws.terminate());
    });
  }

  /** Open connections. */
  connectionCount(): number {
    return this.connections.size;
  }

  /** Drops connections abruptly (all, or one account's), as a network failure would. */
  drop(keyId?: string): number {
    let dropped = 0;
    for (const connection of this.connections) {
      if (keyId !== undefined && connection.keyId !== keyId) continue;
      connection.socket.terminate();
      this.connections.delete(connection);
      dropped += 1;
    }
    return dropped;
  }

  /** Closes every connection with "going away" and stops. Idempotent. */
  close(): void {
    clearInterval(this.pingTimer);
    this.unsubscribeWorld();
    for (const connection of this.connections) connection.socket.close(1001, 'server shutting down');
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    this.wss.close();
  }

  private ping(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        this.connections.delete(connection);
        continue;
      }
      connection.alive = false;
      connection.socket.ping('heartbeat');
    }
  }

  private send(connection: Connection, message: unknown): void {
    const ws = connection.socket;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      this.connections.delete(connection);
      return;
    }
    ws.send(JSON.stringify(message));
  }

  private error(connection: Connection, id: number | undefined, code: number, msg: string): void {
    this.send(connection, { ...(id !== undefined ? { id } : {}), type: 'error', msg: { code, msg } });
  }

  private onCommand(connection: Connection, data: RawData): void {
    let command: unknown;
    try {
      command = JSON.parse(frameText(data));
    } catch {
      this.error(connection, undefined, WS_ERROR.unableToProcess, 'Unable to process message: not JSON');
      return;
    }
    if (typeof command !== 'object' || command === null || Array.isArray(command)) {
      this.error(connection, undefined, WS_ERROR.unableToProcess, 'Unable to process message: not an object');
      return;
    }
    const c = command as { id?: unknown; cmd?: unknown; params?: unknown };
    const id = typeof c.id === 'number' && Number.isInteger(c.id) ? c.id : undefined;
    if (c.cmd !== 'subscribe' && c.cmd !== 'unsubscribe') {
      this.error(connection, id, WS_ERROR.unknownCommand, `Unknown command ${JSON.stringify(c.cmd)}`);
      return;
    }
    if (typeof c.params !== 'object' || c.params === null) {
      this.error(connection, id, WS_ERROR.paramsRequired, 'Params required');
      return;
    }
    const params = c.params as Record<string, unknown>;
    if (c.cmd === 'unsubscribe') this.unsubscribe(connection, id, params);
    else this.subscribe(connection, id, params);
  }

  private subscribe(connection: Connection, id: number | undefined, params: Record<string, unknown>): void {
    const channels: unknown = params.channels;
    if (!Array.isArray(channels) || channels.length === 0) {
      this.error(connection, id, WS_ERROR.channelsRequired, 'Channels required');
      return;
    }
    const unknown: unknown = channels.find((ch) => typeof ch !== 'string' || !CHANNELS.has(ch));
    if (unknown !== undefined) {
      this.error(connection, id, WS_ERROR.unknownChannel, `Unknown channel name ${JSON.stringify(unknown)}`);
      return;
    }
    let tickers: Set<string> | null = null;
    const list = params.market_tickers ?? (params.market_ticker !== undefined ? [params.market_ticker] : undefined);
    if (list !== undefined) {
      if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
        this.error(connection, id, WS_ERROR.invalidParameter, 'market_tickers must be a list of strings');
        return;
      }
      tickers = new Set(list as string[]);
    }
    for (const channel of channels as string[]) {
      const sid = this.nextSid++;
      connection.subscriptions.set(sid, { sid, channel, tickers });
      this.send(connection, { ...(id !== undefined ? { id } : {}), type: 'subscribed', msg: { channel, sid } });
      // A ticker subscriber gets the whole current book at once, then changes only.
      if (channel === 'ticker') this.sendQuotes(connection, true);
    }
  }

  private unsubscribe(connection: Connection, id: number | undefined, params: Record<string, unknown>): void {
    const sids: unknown = params.sids;
    if (!Array.isArray(sids) || sids.length === 0) {
      this.error(connection, id, WS_ERROR.sidsRequired, 'Subscription IDs required');
      return;
    }
    const missing: unknown = sids.find((sid) => !connection.subscriptions.has(sid as number));
    if (missing !== undefined) {
      this.error(connection, id, WS_ERROR.unknownSid, `Unknown subscription ID ${JSON.stringify(missing)}`);
      return;
    }
    for (const sid of sids as number[]) connection.subscriptions.delete(sid);
    this.send(connection, { ...(id !== undefined ? { id } : {}), type: 'unsubscribed', msg: { sids } });
  }

  private onWorldEvent(event: WorldEvent): void {
    if (event.type === 'tick') {
      for (const connection of this.connections) this.sendQuotes(connection, false);
    } else if (event.type === 'event_opened') {
      // The closed hour's markets are gone from the ticker; forget their last quotes.
      for (const connection of this.connections) connection.lastQuotes.clear();
    } else if (event.type === 'position') {
      this.forChannel(event.keyId, 'market_positions', event.position.ticker, (connection, sid) =>
        this.send(connection, positionMessage(sid, event.keyId, event.position)),
      );
    } else if (event.type === 'fill') {
      this.forChannel(event.keyId, 'fill', event.fill.ticker, (connection, sid) =>
        this.send(connection, fillMessage(sid, event.fill, event.clientOrderId)),
      );
    }
  }

  private forChannel(keyId: string, channel: string, ticker: string, send: (c: Connection, sid: number) => void): void {
    for (const connection of this.connections) {
      if (connection.keyId !== keyId) continue;
      for (const sub of connection.subscriptions.values()) {
        if (sub.channel === channel && (sub.tickers === null || sub.tickers.has(ticker))) send(connection, sub.sid);
      }
    }
  }

  private sendQuotes(connection: Connection, all: boolean): void {
    const subs = [...connection.subscriptions.values()].filter((s) => s.channel === 'ticker');
    if (subs.length === 0) return;
    const event = this.world.book.activeEvent();
    if (!event) return;
    const sec = this.world.nowSec();
    for (const market of event.markets) {
      const quote = this.world.book.quote(market, sec);
      const key = `${quote.yes_bid}/${quote.yes_ask}`;
      const changed = connection.lastQuotes.get(market.ticker) !== key;
      connection.lastQuotes.set(market.ticker, key);
      if (!changed && !all) continue;
      const volume = this.world.book.volume(market);
      for (const sub of subs) {
        if (sub.tickers !== null && !sub.tickers.has(market.ticker)) continue;
        this.send(connection, tickerMessage(sub.sid, market.ticker, quote, volume, sec));
      }
    }
  }
}

function tickerMessage(sid: number, ticker: string, q: Quote, volume: number, sec: number): unknown {
  const openInterest = Math.floor(volume / 3);
  return {
    type: 'ticker',
    sid,
    msg: {
      market_ticker: ticker,
      price: Math.round((q.yes_bid + q.yes_ask) / 2),
      yes_bid: q.yes_bid,
      yes_ask: q.yes_ask,
      volume,
      open_interest: openInterest,
      dollar_volume: Math.round(volume / 2),
      dollar_open_interest: Math.round(openInterest / 2),
      ts: sec,
    },
  };
}

// Money on this channel is in centi-cents (1/10,000 dollar), as the exchange documents it.
function positionMessage(sid: number, keyId: string, p: PositionState): unknown {
  return {
    type: 'market_position',
    sid,
    msg: {
      user_id: keyId,
      market_ticker: p.ticker,
      position: p.position,
      position_cost: p.cost * 100,
      realized_pnl: p.realizedPnl * 100,
      fees_paid: p.feesPaid * 100,
      volume: p.volume,
    },
  };
}

function fillMessage(sid: number, fill: Fill, clientOrderId: string): unknown {
  return {
    type: 'fill',
    sid,
    msg: {
      trade_id: fill.trade_id,
      order_id: fill.order_id,
      client_order_id: clientOrderId,
      market_ticker: fill.ticker,
      is_taker: fill.is_taker,
      side: fill.side,
      action: fill.action,
      yes_price: fill.yes_price,
      no_price: fill.no_price,
      count: fill.count,
      ts: fill.ts ?? Math.floor(Date.parse(fill.created_time) / 1000),
    },
  };
}
