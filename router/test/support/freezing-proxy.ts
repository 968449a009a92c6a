import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real Redis that swallows every byte a client sends from the
 * first one containing `freezeOn` (case-insensitive; e.g. a stream key: the append script) onwards.
 *
 * Why a stand-in: to SIGKILL a publisher exactly between its COMMIT and its XADD, the XADD
 * must be in flight and unanswered at the moment of the kill. No real Redis can be put in a
 * state where it accepts a connection, answers the handshake, and then never answers one
 * command; this proxy makes that network state. Everything before the freeze is the real
 * server's real replies.
 */
export class FreezingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #freezeOn: Buffer;
  #frozen = false;
  #onFrozen: (() => void) | undefined;
  /** Resolves when a client sent the freeze pattern. */
  readonly frozen: Promise<void>;

  private constructor(target: { host: string; port: number }, freezeOn: string) {
    this.#freezeOn = Buffer.from(freezeOn.toLowerCase());
    this.frozen = new Promise((resolve) => {
      this.#onFrozen = resolve;
    });
    this.#server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      this.#sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        if (!this.#frozen && Buffer.from(chunk.toString('latin1').toLowerCase(), 'latin1').includes(this.#freezeOn)) {
          this.#frozen = true;
          this.#onFrozen?.();
        }
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

  /** Starts a proxy on a free port of 127.0.0.1. */
  static async start(target: { host: string; port: number }, freezeOn: string): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(target, freezeOn);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's redis:// URL. */
  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
