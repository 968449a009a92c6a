import type { z } from 'zod';

/** An HTTP error answer: status, a stable code and a message, sent as `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** Parses request input with a zod schema; failure is a 400 `INVALID_REQUEST` naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where = 'body'): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
  throw new HttpError(400, 'INVALID_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, { cause: result.error });
}
