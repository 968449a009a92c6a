import { GATEWAY_CLOSE, GATEWAY_PATH } from '@recio/platform';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { Principal } from '../api-tokens.js';
import { GatewayConnection, type ConnectionDeps, type SocketLimits } from './connection.js';
import { GatewayMetrics } from './metrics.js';

/** How a socket's upgrade request is authenticated: its principal, or an HTTP status and code to refuse it with. */
export type UpgradeAuth = (
  request: IncomingMessage,
) => Promise<Principal | { status: number; code: string; message: string }>;

/** Options of the gateway. */
export interface GatewayOptions
  extends SocketLimits, Pick<ConnectionDeps, 'hub' | 'replay' | 'spendReplay' | 'logger'> {
  server: Server;
  authenticate: UpgradeAuth;
  /** Interval of ping frames; a socket that did not answer the previous one is closed. */
  heartbeatMs: number;
  /** The largest frame ws reads at all (a larger one closes the socket, 1009). */
  maxPayloadBytes: number;
  registry: Registry;
}

/**
 * The WebSocket gateway at GATEWAY_PATH on main-app's HTTP server: authenticates the upgrade,
 * then runs one GatewayConnection per socket over the process's hub; pings every socket and
 * closes the ones that stopped answering.
 */
export class Gateway {
  readonly #o: GatewayOptions;
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<GatewayConnection, { alive: boolean }>();
  readonly #metrics: GatewayMetrics;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #closed = false;

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#metrics = new GatewayMetrics(options.registry);
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
    this.#onUpgrade = (request, socket, head) => void this.#upgrade(request, socket, head);
    options.server.on('upgrade', this.#onUpgrade);
    this.#heartbeat = setInterval(() => this.#ping(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Open sockets. */
  get size(): number {
    return this.#connections.size;
  }

  /** Closes every socket with GOING_AWAY (clients reconnect to another replica) and stops taking new ones. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#o.server.off('upgrade', this.#onUpgrade);
    for (const connection of this.#connections.keys())
      connection.close(GATEWAY_CLOSE.GOING_AWAY, 'server shutting down');
    this.#wss.close();
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '').split('?')[0];
    if (path !== GATEWAY_PATH || this.#closed) return refuse(socket, 404, 'NOT_FOUND', `no WebSocket at ${path}`);
    let auth: Awaited<ReturnType<UpgradeAuth>>;
    try {
      auth = await this.#o.authenticate(request);
    } catch (err) {
      this.#o.logger.warn({ err }, 'gateway could not authenticate an upgrade');
      return refuse(socket, 503, 'UNAVAILABLE', 'try again');
    }
    if ('status' in auth) return refuse(socket, auth.status, auth.code, auth.message);
    const principal = auth;
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.#closed) return ws.close(GATEWAY_CLOSE.GOING_AWAY, 'server shutting down');
      const connection = new GatewayConnection(ws, principal, {
        hub: this.#o.hub,
        replay: this.#o.replay,
        spendReplay: this.#o.spendReplay,
        metrics: this.#metrics,
        logger: this.#o.logger,
        limits: { queueMax: this.#o.queueMax, highWaterBytes: this.#o.highWaterBytes },
      });
      const state = { alive: true };
      this.#connections.set(connection, state);
      this.#metrics.connections.set(this.#connections.size);
      ws.on('pong', () => (state.alive = true));
      ws.on('close', () => {
        this.#connections.delete(connection);
        this.#metrics.connections.set(this.#connections.size);
      });
    });
  }

  #ping(): void {
    for (const [connection, state] of this.#connections) {
      if (!state.alive) {
        connection.terminate();
        continue;
      }
      state.alive = false;
      connection.ping();
    }
  }
}

/** Answers an upgrade with an HTTP error (JSON with a stable code) and closes the socket. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
