import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import {
  ExchangeAbortedError,
  ExchangeAuthError,
  ExchangeRateLimitedError,
  ExchangeRejectedError,
  ExchangeResponseError,
  ExchangeTimeoutError,
  ExchangeUnavailableError,
} from './errors.js';
import { signRequest } from './signing.js';
import { backoffDelay } from '@recio/contract';
import { sleep } from './timing.js';
import { TokenBucket } from './token-bucket.js';
import { ErrorBodySchema } from './wire.js';

/** Settings of the transport (resolved client options). */
export interface TransportSettings {
  baseUrl: string;
  keyId: string | undefined;
  privateKey: KeyObject | undefined;
  timeoutMs: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  readsPerSecond: number;
  writesPerSecond: number;
  fetch: typeof fetch;
  now: () => number;
}

/** One request. `path` is relative to the base URL (`/portfolio/orders`). */
export interface RequestSpec<T> {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Sign the request (every /portfolio path). */
  auth: boolean;
  schema: z.ZodType<T>;
}

type Failure = { kind: 'timeout' } | { kind: 'network'; cause: unknown } | { kind: 'status'; status: number };

/**
 * Sends requests with throttling, signing, a per-attempt timeout and retries. Retried: 429,
 * 5xx, network errors and timeouts, with full-jitter exponential backoff (429 carries no
 * Retry-After). Never retried: other 4xx, a bad body, the caller's abort.
 */
export class HttpTransport {
  private readonly s: TransportSettings;
  private readonly reads: TokenBucket;
  private readonly writes: TokenBucket;

  constructor(settings: TransportSettings) {
    this.s = settings;
    this.reads = new TokenBucket(settings.readsPerSecond, settings.readsPerSecond);
    // The exchange's write bucket holds two seconds of budget for bursts; mirror it.
    this.writes = new TokenBucket(settings.writesPerSecond, settings.writesPerSecond * 2);
  }

  /** Whether credentials are configured. */
  get hasCredentials(): boolean {
    return this.s.keyId !== undefined && this.s.privateKey !== undefined;
  }

  /** Sends `spec`, retrying transient failures; resolves with the parsed body. */
  async request<T>(spec: RequestSpec<T>, signal?: AbortSignal): Promise<T> {
    if (spec.auth && !this.hasCredentials) {
      throw new ExchangeAuthError(
        0,
        'missing_credentials',
        `${spec.method} ${spec.path} needs keyId and privateKeyPem`,
      );
    }
    const url = this.url(spec);
    const attempts = this.s.maxRetries + 1;
    let failure: Failure = { kind: 'timeout' };
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const policy = { baseMs: this.s.backoffBaseMs, maxMs: this.s.backoffMaxMs, jitter: 'full' } as const;
        await sleep(backoffDelay(policy, attempt - 1), signal);
      }
      await (spec.method === 'GET' ? this.reads : this.writes).take(signal);
      const result = await this.attempt(spec, url, signal);
      if (result.ok) return this.parse(spec, result.status, result.text);
      failure = result.failure;
    }
    if (failure.kind === 'timeout') throw new ExchangeTimeoutError(this.s.timeoutMs, attempts);
    if (failure.kind === 'network') throw new ExchangeUnavailableError(null, attempts, { cause: failure.cause });
    if (failure.status === 429) throw new ExchangeRateLimitedError(attempts);
    throw new ExchangeUnavailableError(failure.status, attempts);
  }

  private url(spec: RequestSpec<unknown>): URL {
    const url = new URL(this.s.baseUrl.replace(/\/+$/, '') + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    return url;
  }

  // One attempt: a retryable failure is returned; anything final is thrown.
  private async attempt(
    spec: RequestSpec<unknown>,
    url: URL,
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; status: number; text: string } | { ok: false; failure: Failure }> {
    if (signal?.aborted) throw new ExchangeAbortedError({ cause: signal.reason });
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.auth && this.s.keyId !== undefined && this.s.privateKey !== undefined) {
      // Signed per attempt: a retry needs a fresh timestamp. The path is signed without the query.
      Object.assign(
        headers,
        signRequest({
          keyId: this.s.keyId,
          privateKey: this.s.privateKey,
          method: spec.method,
          path: url.pathname,
          timestampMs: this.s.now(),
        }),
      );
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.s.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.s.fetch(url, {
        method: spec.method,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: controller.signal,
      });
      const text = await response.text();
      const status = response.status;
      if (status >= 200 && status < 300) return { ok: true, status, text };
      if (status === 429 || status >= 500) return { ok: false, failure: { kind: 'status', status } };
      const error = this.errorBody(text);
      if (status === 401 || status === 403) throw new ExchangeAuthError(status, error.code, error.message);
      throw new ExchangeRejectedError(status, error.code, error.message);
    } catch (error) {
      if (error instanceof ExchangeAuthError || error instanceof ExchangeRejectedError) throw error;
      if (signal?.aborted) throw new ExchangeAbortedError({ cause: signal.reason });
      if (timedOut) return { ok: false, failure: { kind: 'timeout' } };
      return { ok: false, failure: { kind: 'network', cause: error } };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private errorBody(text: string): { code: string; message: string } {
    try {
      const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
      if (parsed.success) return { code: parsed.data.error.code, message: parsed.data.error.message };
    } catch {
      // not JSON: fall through
    }
    return { code: 'unknown', message: text.slice(0, 200) };
  }

  private parse<T>(spec: RequestSpec<T>, status: number, text: string): T {
    const what = `${spec.method} ${spec.path} (${status})`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ExchangeResponseError(what, { cause: error });
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) throw new ExchangeResponseError(what, { cause: parsed.error });
    return parsed.data;
  }
}
