import { GATEWAY_CLOSE, GATEWAY_PATH } from '@recio/platform';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { Principal } from '../api-tokens.js';
import { GatewayConnection, type ConnectionDeps, type SocketLimits } from './connection.js';
import { GatewayMetrics } from './metrics.js';

/**
 * Who an upgraded socket acts for, and whether what let it in still holds (its session not ended,
 * its user not disabled, its token not removed): asked again every `authRecheckMs`.
 */
export interface SocketAuth {
  principal: Principal;
  stillValid: () => Promise<boolean>;
}

/** How a socket's upgrade request is authenticated: who, or an HTTP status and code to refuse it with. */
export type UpgradeAuth = (
  request: IncomingMessage,
) => Promise<SocketAuth | { status: number; code: string; message: string }>;

/** Options of the gateway. */
export interface GatewayOptions
  extends SocketLimits, Pick<ConnectionDeps, 'hub' | 'replay' | 'spendReplay' | 'logger'> {
  server: Server;
  authenticate: UpgradeAuth;
  /** Interval of ping frames; a socket that did not answer the previous one is closed. */
  heartbeatMs: number;
  /** How often each socket's authentication is asked again; one no longer valid is closed with UNAUTHENTICATED. */
  authRecheckMs: number;
  /** The largest frame ws reads at all (a larger one closes the socket, 1009). */
  maxPayloadBytes: number;
  /** Sockets one user may have open here; one more is refused with 429 TOO_MANY_SOCKETS. */
  socketsPerUser: number;
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
  readonly #connections = new Map<GatewayConnection, { alive: boolean; stillValid: SocketAuth['stillValid'] }>();
  readonly #metrics: GatewayMetrics;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #recheck: NodeJS.Timeout;
  #rechecking = false;
  /** Open (or opening) sockets per user. */
  readonly #perUser = new Map<string, number>();
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
    this.#recheck = setInterval(() => void this.#recheckAuth(), options.authRecheckMs);
    this.#recheck.unref();
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
    clearInterval(this.#recheck);
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
    const { principal, stillValid } = auth;
    // The client may have gone while it was authenticated: then ws never calls back, and a count
    // taken now would never be given back (32 such upgrades would lock the user out here).
    if (socket.destroyed || !socket.readable || !socket.writable) return void socket.destroy();
    // Counted from here (synchronously after the check) until the socket closes, whether the
    // upgrade completes or not: a burst of upgrades cannot all pass the check before any is counted.
    const user = principal.userId;
    const open = this.#perUser.get(user) ?? 0;
    if (open >= this.#o.socketsPerUser)
      return refuse(socket, 429, 'TOO_MANY_SOCKETS', `at most ${this.#o.socketsPerUser} sockets per user`);
    this.#perUser.set(user, open + 1);
    const uncount = () => {
      const n = (this.#perUser.get(user) ?? 1) - 1;
      if (n > 0) this.#perUser.set(user, n);
      else this.#perUser.delete(user);
    };
    socket.once('close', uncount);
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
      const state = { alive: true, stillValid };
      this.#connections.set(connection, state);
      this.#metrics.connections.set(this.#connections.size);
      ws.on('pong', () => (state.alive = true));
      ws.on('close', () => {
        this.#connections.delete(connection);
        this.#metrics.connections.set(this.#connections.size);
      });
    });
  }

  /**
   * Closes the sockets whose session ended, whose user was disabled or whose token was removed
   * since they opened (UNAUTHENTICATED: the page shows its sign-in). A check that fails (PostgreSQL
   * away) leaves the socket open: it is asked again at the next round.
   */
  async #recheckAuth(): Promise<void> {
    if (this.#rechecking) return;
    this.#rechecking = true;
    try {
      // One after another: sockets of one session share its cached answer (one query per recheck at most).
      for (const [connection, state] of [...this.#connections]) {
        const valid = await state.stillValid().catch((err: unknown) => {
          this.#o.logger.warn({ err }, "gateway could not check a socket's session; asked again later");
          return true;
        });
        if (!valid && this.#connections.has(connection)) {
          this.#metrics.unauthenticated.inc();
          connection.close(GATEWAY_CLOSE.UNAUTHENTICATED, 'session ended: sign in again');
        }
      }
    } finally {
      this.#rechecking = false;
    }
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
