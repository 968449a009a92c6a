import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_KEY_HEADER,
  ACCESS_SIGNATURE_HEADER,
  ACCESS_TIMESTAMP_HEADER,
  signingMessage,
  signingPath,
  signRequest,
  verifySignature,
} from './signing.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

describe('signing', () => {
  it('signs timestamp + METHOD + path and verifies with the public key', () => {
    const headers = signRequest({
      keyId: 'k1',
      privateKey,
      method: 'get',
      path: '/trade-api/v2/portfolio/balance',
      timestampMs: 1_752_697_800_123,
    });
    expect(headers[ACCESS_KEY_HEADER]).toBe('k1');
    expect(headers[ACCESS_TIMESTAMP_HEADER]).toBe('1752697800123');
    const ok = verifySignature({
      publicKey,
      timestamp: headers[ACCESS_TIMESTAMP_HEADER],
      method: 'GET',
      path: '/trade-api/v2/portfolio/balance',
      signature: headers[ACCESS_SIGNATURE_HEADER],
    });
    expect(ok).toBe(true);
  });

  it('signs the path without the query string, whether given a path or a URL', () => {
    expect(signingPath('/trade-api/v2/portfolio/orders?limit=5&cursor=x')).toBe('/trade-api/v2/portfolio/orders');
    expect(signingPath('https://api.example.com/trade-api/v2/portfolio/fills?limit=1')).toBe(
      '/trade-api/v2/portfolio/fills',
    );
    expect(signingMessage(5, 'post', '/trade-api/v2/portfolio/orders?x=1')).toBe('5POST/trade-api/v2/portfolio/orders');
    const headers = signRequest({
      keyId: 'k',
      privateKey,
      method: 'GET',
      path: 'http://h/trade-api/v2/portfolio/fills?limit=3',
      timestampMs: 7,
    });
    expect(
      verifySignature({
        publicKey,
        timestamp: '7',
        method: 'GET',
        path: '/trade-api/v2/portfolio/fills',
        signature: headers[ACCESS_SIGNATURE_HEADER],
      }),
    ).toBe(true);
  });

  it('uses PSS with a random salt: two signatures differ and both verify', () => {
    const a = signRequest({ keyId: 'k', privateKey, method: 'GET', path: '/p', timestampMs: 1 })[
      ACCESS_SIGNATURE_HEADER
    ];
    const b = signRequest({ keyId: 'k', privateKey, method: 'GET', path: '/p', timestampMs: 1 })[
      ACCESS_SIGNATURE_HEADER
    ];
    expect(a).not.toBe(b);
    for (const signature of [a, b])
      expect(verifySignature({ publicKey, timestamp: '1', method: 'GET', path: '/p', signature })).toBe(true);
  });

  it('rejects a signature over anything else, a tampered signature, another key and garbage', () => {
    const signature = signRequest({
      keyId: 'k',
      privateKey,
      method: 'POST',
      path: '/trade-api/v2/portfolio/orders',
      timestampMs: 1000,
    })[ACCESS_SIGNATURE_HEADER];
    const base = { publicKey, timestamp: '1000', method: 'POST', path: '/trade-api/v2/portfolio/orders', signature };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, timestamp: '1001' })).toBe(false);
    expect(verifySignature({ ...base, method: 'GET' })).toBe(false);
    expect(verifySignature({ ...base, path: '/trade-api/v2/portfolio/fills' })).toBe(false);
    const bytes = Buffer.from(signature, 'base64');
    bytes[10] = (bytes[10] as number) ^ 0xff;
    expect(verifySignature({ ...base, signature: bytes.toString('base64') })).toBe(false);
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    expect(verifySignature({ ...base, publicKey: other.publicKey })).toBe(false);
    expect(verifySignature({ ...base, signature: '' })).toBe(false);
    expect(verifySignature({ ...base, publicKey: 'not a pem' })).toBe(false);
  });

  it('accepts PKCS#1 keys, as the exchange hands them out', () => {
    const pkcs1 = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const signature = signRequest({
      keyId: 'k',
      privateKey: pkcs1.privateKey,
      method: 'GET',
      path: '/trade-api/ws/v2',
      timestampMs: 9,
    })[ACCESS_SIGNATURE_HEADER];
    expect(
      verifySignature({
        publicKey: pkcs1.publicKey,
        timestamp: '9',
        method: 'GET',
        path: '/trade-api/ws/v2',
        signature,
      }),
    ).toBe(true);
  });
});
