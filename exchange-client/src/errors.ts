/** Base of every error the exchange client throws: a stable `code` to branch on, the `cause` kept. */
export class ExchangeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option passed to a component is missing or out of range; the message names it. */
export class InvalidOptionError extends ExchangeError {
  constructor(option: string, message: string) {
    super('INVALID_OPTION', `option ${option}: ${message}`);
  }
}

/**
 * The exchange refused the request (HTTP 4xx other than 401/403/429). Never retried:
 * `exchangeCode` is the exchange's own code (`insufficient_balance`,
 * `insufficient_resting_volume`, `market_closed`, ...), `status` the HTTP status.
 */
export class ExchangeRejectedError extends ExchangeError {
  readonly status: number;
  readonly exchangeCode: string;

  constructor(status: number, exchangeCode: string, message: string) {
    super('EXCHANGE_REJECTED', `exchange rejected the request (${status} ${exchangeCode}): ${message}`);
    this.status = status;
    this.exchangeCode = exchangeCode;
  }
}

/**
 * The exchange answered that an order of this client_order_id exists (409 duplicate), but the order
 * cannot be found: whether it was placed is not known. Not a refusal: asking again later (same
 * client_order_id, never a second order) is the only safe answer.
 */
export class ExchangeOutcomeUnknownError extends ExchangeError {
  readonly clientOrderId: string;

  constructor(clientOrderId: string, options?: { cause?: unknown }) {
    super(
      'ORDER_OUTCOME_UNKNOWN',
      `the exchange reports order ${clientOrderId} as a duplicate but does not list it: outcome unknown`,
      options,
    );
    this.clientOrderId = clientOrderId;
  }
}

/** HTTP 429 on every attempt: the account's rate-limit bucket stayed empty. */
export class ExchangeRateLimitedError extends ExchangeError {
  constructor(attempts: number) {
    super('EXCHANGE_RATE_LIMITED', `exchange rate limit (429) on all ${attempts} attempts`);
  }
}

/** HTTP 5xx or a network failure on every attempt. */
export class ExchangeUnavailableError extends ExchangeError {
  readonly status: number | null;

  constructor(status: number | null, attempts: number, options?: { cause?: unknown }) {
    super(
      'EXCHANGE_UNAVAILABLE',
      status === null
        ? `exchange unreachable on all ${attempts} attempts`
        : `exchange answered ${status} on all ${attempts} attempts`,
      options,
    );
    this.status = status;
  }
}

/** No answer within `timeoutMs` on every attempt. */
export class ExchangeTimeoutError extends ExchangeError {
  constructor(timeoutMs: number, attempts: number) {
    super('EXCHANGE_TIMEOUT', `no answer within ${timeoutMs} ms on all ${attempts} attempts`);
  }
}

/** HTTP 401/403: missing, unknown or badly signed credentials; never retried. */
export class ExchangeAuthError extends ExchangeError {
  readonly status: number;
  readonly exchangeCode: string;

  constructor(status: number, exchangeCode: string, message: string) {
    super('EXCHANGE_AUTH', `exchange refused the credentials (${status} ${exchangeCode}): ${message}`);
    this.status = status;
    this.exchangeCode = exchangeCode;
  }
}

/** A 2xx body that is not JSON or does not match the wire schema. */
export class ExchangeResponseError extends ExchangeError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('EXCHANGE_RESPONSE', `unexpected response body for ${what}`, options);
  }
}

/** The caller's AbortSignal fired; the request was abandoned (and is not retried). */
export class ExchangeAbortedError extends ExchangeError {
  constructor(options?: { cause?: unknown }) {
    super('EXCHANGE_ABORTED', 'request aborted by the caller', options);
  }
}

/** The component was closed; no new work is accepted. */
export class ExchangeClosedError extends ExchangeError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

/** Codes of errors a caller may retry later (the client already retried them itself). */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'EXCHANGE_RATE_LIMITED',
  'EXCHANGE_UNAVAILABLE',
  'EXCHANGE_TIMEOUT',
]);
