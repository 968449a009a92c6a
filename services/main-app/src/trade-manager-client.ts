import { HttpError } from '@recio/service-kit';
import { InvalidOptionError } from './errors.js';

/** Options of {@link TradeManagerClient}. */
export interface TradeManagerClientOptions {
  /** The trade manager's base URL, e.g. http://trade-manager:4000. */
  baseUrl: string;
  /** Deadline of one request. @defaultValue 5000 */
  timeoutMs?: number;
}

/** The trade manager's answer, passed on to the trader as it is. */
export interface ForwardedAnswer {
  status: number;
  body: unknown;
}

const DEFAULTS = { timeoutMs: 5_000 };

/**
 * The trade manager's REST API as main-app uses it: orders are forwarded, never decided here,
 * so the state machine's answers (201, 409 ILLEGAL_TRANSITION, 400 INVALID_TICKER, …) reach the
 * trader unchanged. No answer at all (refused, reset, timed out) is a 503 `TRADE_MANAGER_UNAVAILABLE`.
 */
export class TradeManagerClient {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(options: TradeManagerClientOptions) {
    const o = { ...DEFAULTS, ...options };
    if (!URL.canParse(o.baseUrl))
      throw new InvalidOptionError('baseUrl', `expected a URL, got ${JSON.stringify(o.baseUrl)}`);
    if (!(Number.isInteger(o.timeoutMs) && o.timeoutMs > 0))
      throw new InvalidOptionError('timeoutMs', `expected a positive integer, got ${o.timeoutMs}`);
    this.#base = o.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = o.timeoutMs;
  }

  /** POST /trades: open a trade. */
  open(body: Record<string, unknown>): Promise<ForwardedAnswer> {
    return this.#post('/trades', body);
  }

  /** POST /trades/:id/close: close a trade. */
  close(tradeId: string, body: Record<string, unknown>): Promise<ForwardedAnswer> {
    return this.#post(`/trades/${encodeURIComponent(tradeId)}/close`, body);
  }

  async #post(path: string, body: unknown): Promise<ForwardedAnswer> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new HttpError(503, 'TRADE_MANAGER_UNAVAILABLE', 'the trade manager did not answer; try again', {
        cause: err,
      });
    }
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch (err) {
      // Not the trade manager speaking (a proxy's error page, a half-written body).
      throw new HttpError(502, 'TRADE_MANAGER_BAD_RESPONSE', `the trade manager answered ${res.status} without JSON`, {
        cause: err,
      });
    }
  }
}
