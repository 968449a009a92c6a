import type { IncomingHttpHeaders } from 'node:http';
import {
  ACCESS_KEY_HEADER,
  ACCESS_SIGNATURE_HEADER,
  ACCESS_TIMESTAMP_HEADER,
  signingPath,
  verifySignature,
} from '@recio/exchange-client';
import { ApiError } from './api-error.js';
import type { Account, Ledger } from './ledger.js';

/** How far (ms) a signature's timestamp may be from the wall clock. */
export const SIGNATURE_WINDOW_MS = 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks the three KALSHI-ACCESS-* headers of a request against the registered keys; returns the
 * account or throws ApiError 401. The window is checked against WALL time (`wallNowMs`): signatures
 * are made by real clocks, whatever the simulated time is.
 */
export function authenticate(
  ledger: Ledger,
  headers: IncomingHttpHeaders,
  method: string,
  url: string,
  wallNowMs: number,
): Account {
  const keyId = header(headers, ACCESS_KEY_HEADER);
  const timestamp = header(headers, ACCESS_TIMESTAMP_HEADER);
  const signature = header(headers, ACCESS_SIGNATURE_HEADER);
  if (!keyId || !timestamp || !signature) {
    throw new ApiError(
      401,
      'missing_credentials',
      `${ACCESS_KEY_HEADER}, ${ACCESS_TIMESTAMP_HEADER} and ${ACCESS_SIGNATURE_HEADER} are required`,
    );
  }
  const account = ledger.account(keyId);
  if (!account) throw new ApiError(401, 'unknown_key', 'the API key id is not registered');
  if (!/^\d{1,16}$/.test(timestamp) || Math.abs(Number(timestamp) - wallNowMs) > SIGNATURE_WINDOW_MS) {
    throw new ApiError(401, 'stale_timestamp', `${ACCESS_TIMESTAMP_HEADER} must be unix ms within 60 s of now`);
  }
  const ok = verifySignature({ publicKey: account.publicKey, timestamp, method, path: signingPath(url), signature });
  if (!ok) throw new ApiError(401, 'invalid_signature', 'the request signature does not verify');
  return account;
}
