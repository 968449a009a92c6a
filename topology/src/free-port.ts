import { createServer } from 'node:net';

/** Options of {@link getFreePort}. */
export interface FreePortOptions {
  /**
   * Address to probe.
   * @defaultValue '127.0.0.1'
   */
  host?: string;
  /**
   * Offsets from the port that must be free too, e.g. `[10000]` for a Redis Cluster bus port.
   * @defaultValue []
   */
  companionOffsets?: number[];
}

/**
 * Returns a TCP port that is free right now on `host` (listen on 0, read the port, close).
 * Another process may take it before the caller binds it; launchers retry on that.
 */
export async function getFreePort(options: FreePortOptions = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  const offsets = options.companionOffsets ?? [];
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await listenAndClose(host, 0);
    const companions = offsets.map((o) => port + o);
    if (companions.some((p) => p > 65535)) continue;
    let free = true;
    for (const p of companions) {
      if (!(await isPortFree(p, host))) {
        free = false;
        break;
      }
    }
    if (free) return port;
  }
  throw new Error(`no free port on ${host} with free companions at offsets ${offsets.join(', ')}`);
}

/** Whether `port` can be bound on `host` at this moment. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await listenAndClose(host, port);
    return true;
  } catch {
    return false;
  }
}

function listenAndClose(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(bound)));
    });
  });
}
