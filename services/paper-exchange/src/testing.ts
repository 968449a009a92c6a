import { generateKeyPairSync } from 'node:crypto';
import {
  ExchangeClient,
  frameText,
  signRequest,
  type ExchangeClientOptions,
  type Market,
} from '@recio/exchange-client';
import WebSocket from 'ws';
import { startPaperExchange, type PaperExchange, type PaperExchangeOptions } from './index.js';

/** Simulated start of every test world: 20:30 UTC = 16:30 EDT, 30 minutes before the 17:00 ET close. */
export const START_MS = Date.parse('2025-07-16T20:30:00Z');
/** The event open at START_MS. */
export const FIRST_EVENT = 'KXBTCD-25JUL1617';
export const ADMIN_TOKEN = 'test-admin-token';

/** An RSA key pair in PEM. */
export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

/** A fresh 2048-bit RSA key pair, as the exchange issues them. */
export function makeKeys(): KeyPair {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** Starts a stepped paper exchange on a free port with the admin API on. */
export function startTestExchange(options: PaperExchangeOptions = {}): Promise<PaperExchange> {
  return startPaperExchange({
    port: 0,
    seed: 42,
    clock: 'stepped',
    startMs: START_MS,
    adminToken: ADMIN_TOKEN,
    ...options,
  });
}

/** Calls the admin API; returns status and JSON body. */
export async function admin(
  exchange: PaperExchange,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${exchange.origin}/sim${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: await response.json() };
}

/** Registers an account through the admin API. */
export async function addAccount(
  exchange: PaperExchange,
  keyId: string,
  keys: KeyPair,
  balanceCents: number,
): Promise<void> {
  const { status } = await admin(exchange, 'POST', '/accounts', {
    key_id: keyId,
    public_key_pem: keys.publicKey,
    balance_cents: balanceCents,
  });
  if (status !== 201) throw new Error(`account registration answered ${status}`);
}

/** An exchange client for an account, fast backoff for tests. */
export function clientFor(
  exchange: PaperExchange,
  keyId: string,
  keys: KeyPair,
  options: Partial<ExchangeClientOptions> = {},
): ExchangeClient {
  return new ExchangeClient({
    baseUrl: exchange.url,
    keyId,
    privateKeyPem: keys.privateKey,
    backoffBaseMs: 2,
    backoffMaxMs: 20,
    readsPerSecond: 10_000,
    writesPerSecond: 10_000,
    ...options,
  });
}

/** A signed raw request (for bodies and headers the client would never send). */
export async function signedFetch(
  exchange: PaperExchange,
  keyId: string,
  keys: KeyPair,
  method: string,
  path: string,
  init: { body?: string; contentType?: string } = {},
): Promise<{ status: number; json: any }> {
  const url = `${exchange.url}${path}`;
  const headers: Record<string, string> = {
    ...signRequest({
      keyId,
      privateKey: keys.privateKey,
      method,
      path: new URL(url).pathname,
      timestampMs: Date.now(),
    }),
  };
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const response = await fetch(url, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: response.status, json: await response.json() };
}

/** The market of the open event whose YES ask is nearest 50¢. */
export async function atTheMoney(client: ExchangeClient, eventTicker = FIRST_EVENT): Promise<Market> {
  const { markets } = await client.getEvent(eventTicker);
  const sorted = [...markets].sort((a, b) => Math.abs(a.yes_ask - 50) - Math.abs(b.yes_ask - 50));
  return sorted[0] as Market;
}

/** Exchange taker fee in cents (integer form of ceil(0.07 × C × P × (1 − P)) dollars). */
export function fee(count: number, priceCents: number): number {
  return Math.ceil((7 * count * priceCents * (100 - priceCents)) / 10_000);
}

/** Collects JSON messages of a raw WebSocket. */
export class MessageLog {
  readonly messages: any[] = [];
  private waiters: { predicate: (m: any) => boolean; resolve: (m: any) => void }[] = [];

  constructor(socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(frameText(data));
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  /** The first message (already received or next) matching `predicate`. */
  next(predicate: (m: any) => boolean): Promise<any> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }
}

/** Opens a raw WebSocket and waits for it to be open. */
export function openSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; log: MessageLog }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const log = new MessageLog(socket);
    socket.once('open', () => resolve({ socket, log }));
    socket.once('error', reject);
  });
}

/** Resolves when `emitter` fires `event` (first argument). */
export function once<T = unknown>(
  emitter: { once(event: string, listener: (arg: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}
