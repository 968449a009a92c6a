import type { ErrorBody } from '@recio/exchange-client';

/** A request the exchange refuses: HTTP status plus a stable snake_case code, as the exchange sends. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** The wire body `{ error: { code, message } }`. */
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, service: 'paper-exchange' } };
  }
}

/** 400 invalid_parameters naming the bad field. */
export function invalidParameters(message: string): ApiError {
  return new ApiError(400, 'invalid_parameters', message);
}
