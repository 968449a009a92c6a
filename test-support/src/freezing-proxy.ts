import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (Redis, PostgreSQL) that swallows every byte a client
 * sends from the first one containing `freezeOn` (case-insensitive; e.g. a stream key: the append
 * script) onwards, or from `freeze()`; both sockets stay open, as in a network partition.
 *
 * Why a stand-in: the tests need a server that accepts a connection, answers the handshake and
 * then never answers a command or query (an append in flight when a publisher is killed, a leader
 * lock whose connection hangs, a health controller's sample stuck on PostgreSQL). No real Redis or
 * PostgreSQL can be put in that state; this proxy makes that network state. Everything before the
 * freeze is the real server's real replies.
 */
export class FreezingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #freezeOn: Buffer | null;
  #frozen = false;
  #onFrozen: (() => void) | undefined;
  /** Resolves when a client sent the freeze pattern. */
  readonly frozen: Promise<void>;

  private constructor(target: { host: string; port: number }, freezeOn: string | null) {
    this.#freezeOn = freezeOn === null ? null : Buffer.from(freezeOn.toLowerCase());
    this.frozen = new Promise((resolve) => {
      this.#onFrozen = resolve;
    });
    this.#server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      this.#sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        const pattern = this.#freezeOn;
        if (!this.#frozen && pattern && Buffer.from(chunk.toString('latin1').toLowerCase(), 'latin1').includes(pattern))
          this.freeze();
        if (!this.#frozen) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  /** Starts a proxy on a free port of 127.0.0.1 (`freezeOn` null: frozen by `freeze()` only). */
  static async start(target: { host: string; port: number }, freezeOn: string | null): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(target, freezeOn);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** A proxy in front of the PostgreSQL server of `databaseUrl`, and that URL through it (frozen by `freeze()`). */
  static async inFrontOf(databaseUrl: string): Promise<{ proxy: FreezingProxy; url: string }> {
    const target = new URL(databaseUrl);
    const proxy = await FreezingProxy.start({ host: target.hostname, port: Number(target.port || 5432) }, null);
    const via = new URL(databaseUrl);
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
    return { proxy, url: via.toString() };
  }

  /** From now on, nothing a client sends reaches the server. */
  freeze(): void {
    this.#frozen = true;
    this.#onFrozen?.();
  }

  /**
   * From now on, what clients send reaches the server again (a partition that healed). What was
   * swallowed meanwhile is lost: a connection that sent something then waits for an answer forever.
   */
  thaw(): void {
    this.#frozen = false;
  }

  /** The proxy's port on 127.0.0.1. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  /** The proxy's redis:// URL. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
