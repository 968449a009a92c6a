import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's metrics (prefix `recio_ws_`, labelled by channel class where there is a channel). */
export class GatewayMetrics {
  readonly connections: Gauge;
  readonly messagesOut: Counter<'class'>;
  /** Commit → written to the socket, for events sent live (not replayed). */
  readonly sendLag: Histogram<'class'>;
  readonly slowClientDrops: Counter;
  readonly coalesced: Counter<'class'>;
  /** Subscriptions that had to read history (a client resyncing after a disconnect or a gap). */
  readonly resyncs: Counter<'class'>;
  readonly badFrames: Counter<'code'>;
  /** Sockets closed because what let them in (a session, a token) no longer holds. */
  readonly unauthenticated: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({ name: 'recio_ws_connections', help: 'Open gateway WebSockets', registers });
    this.messagesOut = new Counter({
      name: 'recio_ws_messages_out_total',
      help: 'Event frames written to gateway WebSockets',
      labelNames: ['class'],
      registers,
    });
    this.sendLag = new Histogram({
      name: 'recio_ws_send_lag_seconds',
      help: 'From an event commit to its frame written to a socket (live events)',
      labelNames: ['class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.slowClientDrops = new Counter({
      name: 'recio_ws_slow_client_drops_total',
      help: 'Sockets closed with the resync code because their queue overflowed',
      registers,
    });
    this.coalesced = new Counter({
      name: 'recio_ws_coalesced_total',
      help: 'Queued latest-value events replaced by a newer one for a slow socket',
      labelNames: ['class'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'recio_ws_resyncs_total',
      help: 'Subscriptions served history before going live (missed events replayed)',
      labelNames: ['class'],
      registers,
    });
    this.badFrames = new Counter({
      name: 'recio_ws_bad_frames_total',
      help: 'Client frames refused with an error frame, by code',
      labelNames: ['code'],
      registers,
    });
    this.unauthenticated = new Counter({
      name: 'recio_ws_unauthenticated_closes_total',
      help: 'Sockets closed with UNAUTHENTICATED: their session ended, their user was disabled or their token removed',
      registers,
    });
  }
}
