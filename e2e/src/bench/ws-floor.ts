// A child process of the WebSocket bench (ws-fanout.ts): the raw floor, a plain `ws` server that
// sends each message it is given over IPC ({ op: 'broadcast', sentAt }) to every socket, the text
// serialised once. No authentication, no subscriptions, no queues: the least a broadcast can cost.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('listening', () => {
  const address = wss.address();
  process.send!({ op: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});
process.on('message', (message: { op: 'broadcast'; sentAt: number }) => {
  const text = JSON.stringify({ sentAt: message.sentAt });
  for (const ws of wss.clients) ws.send(text);
});
