import { MAIN_APP_API_PREFIX } from '@recio/platform/browser';

/** An API error with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;

/** Remembers the session's CSRF token (from sign-in or GET /session). */
export function setCsrf(token: string | undefined): void {
  csrfToken = token;
}

/** Calls the REST API with the session cookie (and the CSRF token on a state-changing request). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(`${MAIN_APP_API_PREFIX}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'HTTP_ERROR', json.error?.message ?? res.statusText);
  return json as T;
}
