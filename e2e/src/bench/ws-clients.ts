// A child process of the WebSocket bench (ws-fanout.ts): opens N sockets to one URL, subscribes
// each (a gateway) or just listens (the raw floor), and records, for every frame carrying a
// `sentAt` (epoch ms, high resolution), how long after it the frame arrived here. The parent talks
// to it over IPC: { op: 'connect', url, n, headers, subscribe? } → { op: 'connected' };
// { op: 'report' } → { op: 'report', ... }; then it exits.
import WebSocket from 'ws';

interface Connect {
  op: 'connect';
  url: string;
  n: number;
  headers: Record<string, string>;
  /** A frame to send once open; the socket counts as ready when a frame with `op: 'subscribed'` comes back. */
  subscribe?: unknown;
}

const now = () => performance.timeOrigin + performance.now();
const latencies: number[] = [];
const errors = new Map<string, number>();
const sockets: WebSocket[] = [];
let closedEarly = 0;

function open(c: Connect): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(c.url, { headers: c.headers, perMessageDeflate: false });
    sockets.push(ws);
    ws.on('error', reject);
    ws.on('close', () => (closedEarly += 1));
    ws.on('message', (data) => {
      const at = now();
      const frame = JSON.parse((data as Buffer).toString('utf8')) as {
        op?: string;
        sentAt?: number;
        data?: { sentAt?: number };
      };
      const sentAt = frame.sentAt ?? frame.data?.sentAt;
      if (sentAt !== undefined) latencies.push(at - sentAt);
      else if (frame.op === 'subscribed') resolve();
      else if (frame.op === 'error') errors.set(JSON.stringify(frame), (errors.get(JSON.stringify(frame)) ?? 0) + 1);
    });
    ws.on('open', () => {
      if (c.subscribe === undefined) resolve();
      else ws.send(JSON.stringify(c.subscribe));
    });
  });
}

process.on('message', (message: Connect | { op: 'report' }) => {
  void (async () => {
    if (message.op === 'connect') {
      // In batches: a burst of 10,000 handshakes at once is not what is being measured.
      for (let i = 0; i < message.n; i += 250) {
        await Promise.all(Array.from({ length: Math.min(250, message.n - i) }, () => open(message)));
      }
      process.send!({ op: 'connected', n: sockets.length });
      return;
    }
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
    process.send!(
      {
        op: 'report',
        frames: latencies.length,
        p50: at(50),
        p99: at(99),
        max: latencies.at(-1),
        closedEarly,
        errors: Object.fromEntries(errors),
      },
      () => {
        for (const ws of sockets) ws.terminate();
        process.exit(0);
      },
    );
  })();
});
