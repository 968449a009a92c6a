import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExchangeClient } from './client.js';
import { InvalidOptionError } from './errors.js';
import { ExchangeWebSocket } from './websocket.js';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

describe('option validation', () => {
  it('rejects bad client options with a message naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ baseUrl: 'not a url' }, 'baseUrl'],
      [{ baseUrl: 'ftp://x/trade-api/v2' }, 'baseUrl'],
      [{ baseUrl: 'http://x', keyId: 'k' }, 'privateKeyPem'],
      [{ baseUrl: 'http://x', keyId: 'k', privateKeyPem: 'nope' }, 'privateKeyPem'],
      [{ baseUrl: 'http://x', timeoutMs: 0 }, 'timeoutMs'],
      [{ baseUrl: 'http://x', maxRetries: -1 }, 'maxRetries'],
      [{ baseUrl: 'http://x', readsPerSecond: 0 }, 'readsPerSecond'],
    ];
    for (const [options, name] of cases) {
      let error: unknown;
      try {
        new ExchangeClient(options as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain(`option ${name}`);
    }
    expect(
      () => new ExchangeClient({ baseUrl: 'http://x/trade-api/v2', keyId: 'k', privateKeyPem: privateKey }),
    ).not.toThrow();
  });

  it('rejects bad WebSocket options with a message naming the option', () => {
    expect(() => new ExchangeWebSocket({ url: 'http://x', keyId: 'k', privateKeyPem: privateKey })).toThrow(
      /option url/,
    );
    expect(
      () => new ExchangeWebSocket({ url: 'ws://x', keyId: 'k', privateKeyPem: privateKey, deadTimeoutMs: 0 }),
    ).toThrow(/option deadTimeoutMs/);
  });
});
