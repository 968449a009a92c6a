import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExchangeClient, type Fill, type MarketPosition, type Order, type Settlement } from '@recio/exchange-client';
import type { PaperAccount, PaperExchange } from '@recio/paper-exchange';
import { ADMIN_TOKEN, admin as simCall } from '@recio/paper-exchange/testing';
export { ADMIN_TOKEN };

/** A test user: its platform id and its exchange key. */
export interface TestUser {
  userId: string;
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

/** Users with fresh RSA keys, their key files and the credentials file in a temp dir. */
export class TestCredentials {
  readonly dir = mkdtempSync(join(tmpdir(), 'recio-account-sync-'));
  readonly file = join(this.dir, 'credentials.json');
  readonly users: TestUser[];

  constructor(userIds: string[]) {
    this.users = userIds.map((userId) => {
      const keys = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      writeFileSync(join(this.dir, `${userId}.pem`), keys.privateKey, { mode: 0o600 });
      return { userId, keyId: `key-${userId}`, publicKeyPem: keys.publicKey, privateKeyPem: keys.privateKey };
    });
    writeFileSync(
      this.file,
      JSON.stringify(
        this.users.map((u) => ({ user_id: u.userId, key_id: u.keyId, private_key_pem_file: `${u.userId}.pem` })),
      ),
    );
  }

  /** The paper exchange's accounts of these users, each starting with `balanceCents`. */
  accounts(balanceCents: number): PaperAccount[] {
    return this.users.map((u) => ({ keyId: u.keyId, publicKeyPem: u.publicKeyPem, balanceCents }));
  }

  /** Removes the temp dir. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A signed client of `user` on the paper exchange. */
export function clientOf(exchange: PaperExchange, user: TestUser): ExchangeClient {
  return new ExchangeClient({
    baseUrl: exchange.url,
    keyId: user.keyId,
    privateKeyPem: user.privateKeyPem,
    readsPerSecond: 1_000,
    writesPerSecond: 1_000,
  });
}

/** Calls the paper exchange's admin API (`/sim`); throws unless it answers 2xx. */
export async function admin<T = any>(
  exchange: PaperExchange,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const { status, json } = await simCall(exchange, method, path, body);
  if (status < 200 || status >= 300) throw new Error(`/sim${path} answered ${status}: ${JSON.stringify(json)}`);
  return json as T;
}

/** What the paper exchange holds for one account (`GET /sim/ledger`). */
export interface Ledger {
  balance: number;
  orders: Order[];
  fills: Fill[];
  settlements: Settlement[];
  positions: MarketPosition[];
}

/** The account's ledger. */
export function ledgerOf(exchange: PaperExchange, user: TestUser): Promise<Ledger> {
  return admin<Ledger>(exchange, 'GET', `/ledger?key_id=${encodeURIComponent(user.keyId)}`);
}

/** Advances the stepped clock past the current event's close (every position of it settles). */
export async function advancePastClose(exchange: PaperExchange): Promise<void> {
  const state = await admin<{ now_ms: number; current_event: { close_time: string } }>(exchange, 'GET', '/state');
  await admin(exchange, 'POST', '/advance', {
    seconds: (Date.parse(state.current_event.close_time) - state.now_ms) / 1000 + 5,
  });
}

/** A market's ticker and asks. */
export interface TestMarket {
  ticker: string;
  yesAsk: number;
  noAsk: number;
}

/** Two markets of the open event whose YES and NO asks are both between 10 and 90 cents. */
export async function twoMarkets(exchange: PaperExchange): Promise<[TestMarket, TestMarket]> {
  const state = await admin<{ current_event: { event_ticker: string } }>(exchange, 'GET', '/state');
  const { markets } = await new ExchangeClient({ baseUrl: exchange.url }).getMarkets({
    event_ticker: state.current_event.event_ticker,
    limit: 100,
  });
  const tradable = markets.filter((m) => m.yes_ask >= 10 && m.yes_ask <= 90 && m.no_ask >= 10 && m.no_ask <= 90);
  if (tradable.length < 2) throw new Error(`only ${tradable.length} markets with asks in 10..90`);
  const [a, b] = tradable.map((m) => ({ ticker: m.ticker, yesAsk: m.yes_ask, noAsk: m.no_ask }));
  return [a!, b!];
}
