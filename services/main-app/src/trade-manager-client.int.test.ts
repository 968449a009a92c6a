import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TradeManagerClient } from './trade-manager-client.js';

// The answers a real trade manager never gives (a proxy in between, a hung process), from a
// plain HTTP server on port 0; the real trade manager's answers are in main-app.int.test.ts.
describe('TradeManagerClient', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });
  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('passes status and JSON body through, with the path and body it was given', async () => {
    let seen = '';
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = `${req.method} ${req.url} ${body}`;
        res
          .writeHead(409, { 'content-type': 'application/json' })
          .end('{"error":{"code":"ILLEGAL_TRANSITION","message":"x"}}');
      });
    });
    const answer = await new TradeManagerClient({ baseUrl: `${url}/` }).close('abc', { userId: 'u', method: 'manual' });
    expect(answer).toEqual({ status: 409, body: { error: { code: 'ILLEGAL_TRANSITION', message: 'x' } } });
    expect(seen).toBe('POST /trades/abc/close {"userId":"u","method":"manual"}');
  });

  it('answers 502 for a body that is not JSON', async () => {
    const url = await serve((_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'),
    );
    await expect(new TradeManagerClient({ baseUrl: url }).open({})).rejects.toMatchObject({
      status: 502,
      code: 'TRADE_MANAGER_BAD_RESPONSE',
    });
  });

  it('answers 503 when no answer comes within the timeout', async () => {
    const url = await serve(() => undefined); // accepts, never answers
    await expect(new TradeManagerClient({ baseUrl: url, timeoutMs: 200 }).open({})).rejects.toMatchObject({
      status: 503,
      code: 'TRADE_MANAGER_UNAVAILABLE',
    });
  });

  it('names a bad option', () => {
    expect(() => new TradeManagerClient({ baseUrl: 'nope' })).toThrow(/baseUrl/);
    expect(() => new TradeManagerClient({ baseUrl: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
