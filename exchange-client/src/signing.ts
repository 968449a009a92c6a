import { TRADE_WS_PATH } from './endpoints.js';
import { constants, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Header carrying the API key id. */
export const ACCESS_KEY_HEADER = 'KALSHI-ACCESS-KEY';
/** Header carrying the request time in unix milliseconds (part of the signed message). */
export const ACCESS_TIMESTAMP_HEADER = 'KALSHI-ACCESS-TIMESTAMP';
/** Header carrying the base64 RSA-PSS signature. */
export const ACCESS_SIGNATURE_HEADER = 'KALSHI-ACCESS-SIGNATURE';

/** The path the exchange's WebSocket upgrade is signed over. */
export const WS_SIGNING_PATH = TRADE_WS_PATH;

/** What one signature covers. */
export interface SignRequestInput {
  keyId: string;
  /** PEM (PKCS#1 or PKCS#8) or an already parsed key. */
  privateKey: string | KeyObject;
  method: string;
  /** A path or a full URL; the query string is removed before signing. */
  path: string;
  timestampMs: number;
}

/** The three authentication headers of one request. */
export type SignedHeaders = {
  [ACCESS_KEY_HEADER]: string;
  [ACCESS_TIMESTAMP_HEADER]: string;
  [ACCESS_SIGNATURE_HEADER]: string;
};

// RSA-PSS with SHA-256, MGF1 with the same hash (Node's default for PSS), salt = digest length.
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };

/** The path part of what is signed: `/trade-api/v2/...` without the query string or fragment. */
export function signingPath(pathOrUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return new URL(pathOrUrl).pathname;
  const cut = pathOrUrl.search(/[?#]/);
  return cut === -1 ? pathOrUrl : pathOrUrl.slice(0, cut);
}

/** The exact string that is signed: `timestamp + METHOD + path`. */
export function signingMessage(timestampMs: number | string, method: string, path: string): string {
  return `${timestampMs}${method.toUpperCase()}${signingPath(path)}`;
}

/** Parses a private key PEM once, so a client does not re-parse it per request. */
export function parsePrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/** Signs one request and returns its authentication headers. */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const timestamp = String(Math.trunc(input.timestampMs));
  const message = signingMessage(timestamp, input.method, input.path);
  const key = typeof input.privateKey === 'string' ? createPrivateKey(input.privateKey) : input.privateKey;
  const signature = sign('sha256', Buffer.from(message, 'utf8'), { key, ...PSS });
  return {
    [ACCESS_KEY_HEADER]: input.keyId,
    [ACCESS_TIMESTAMP_HEADER]: timestamp,
    [ACCESS_SIGNATURE_HEADER]: signature.toString('base64'),
  };
}

/** What a server checks. */
export interface VerifySignatureInput {
  /** PEM (SPKI or PKCS#1) or an already parsed key. */
  publicKey: string | KeyObject;
  /** The timestamp header, verbatim (it is part of the signed message). */
  timestamp: string;
  method: string;
  /** The request path (a query string is ignored). */
  path: string;
  /** The base64 signature header. */
  signature: string;
}

/** True when `signature` is a valid RSA-PSS signature of the request; never throws on bad input. */
export function verifySignature(input: VerifySignatureInput): boolean {
  try {
    const key = typeof input.publicKey === 'string' ? createPublicKey(input.publicKey) : input.publicKey;
    const message = signingMessage(input.timestamp, input.method, input.path);
    const signature = Buffer.from(input.signature, 'base64');
    if (signature.length === 0) return false;
    return verify('sha256', Buffer.from(message, 'utf8'), { key, ...PSS }, signature);
  } catch {
    return false;
  }
}
