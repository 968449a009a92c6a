import { performance } from 'node:perf_hooks';
import {
  ExchangeAbortedError,
  ExchangeError,
  ExchangeUnavailableError,
  type ExchangeClient,
  type ExchangeStatus,
} from '@recio/exchange-client';

/** The outcome of one probed request. */
export type CallOutcome<T> =
  | { ok: true; value: T; latencyMs: number }
  | {
      ok: false;
      /** No HTTP answer at all (connection refused or reset, timeout): the exchange is unreachable. */
      unreachable: boolean;
      /** The client's error code (EXCHANGE_UNAVAILABLE, EXCHANGE_TIMEOUT, EXCHANGE_REJECTED, ...). */
      code: string;
      message: string;
      latencyMs: number;
    };

/** One probe of the exchange: its status and the current hour's markets. */
export interface ProbeResult {
  status: CallOutcome<ExchangeStatus>;
  markets: CallOutcome<{ listed: number }>;
  /** The event whose markets were asked for. */
  eventTicker: string;
}

/**
 * Probes `GET /exchange/status` and `GET /markets?event_ticker=&limit=1` at once and times
 * each. The client must make one attempt per request (maxRetries 0): a retry would hide the
 * failure the probe is there to see. Throws when `signal` aborts (the service drains) and on
 * an error that is not the exchange client's.
 */
export async function probeExchange(
  client: ExchangeClient,
  eventTicker: string,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const [status, markets] = await Promise.all([
    timed(() => client.getExchangeStatus({ signal })),
    timed(async () => ({
      listed: (await client.getMarkets({ event_ticker: eventTicker, limit: 1 }, { signal })).markets.length,
    })),
  ]);
  return { status, markets, eventTicker };
}

async function timed<T>(call: () => Promise<T>): Promise<CallOutcome<T>> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const value = await call();
    return { ok: true, value, latencyMs: elapsed() };
  } catch (err) {
    // An abort (the service drains) or an error that is not the exchange's (a bug) ends the probe.
    if (err instanceof ExchangeAbortedError || !(err instanceof ExchangeError)) throw err;
    const unreachable =
      err.code === 'EXCHANGE_TIMEOUT' || (err instanceof ExchangeUnavailableError && err.status === null);
    return { ok: false, unreachable, code: err.code, message: err.message, latencyMs: elapsed() };
  }
}
