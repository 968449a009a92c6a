import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RecioError } from '../errors.js';

/** A command line the CLI cannot use; exit code 2. */
export class UsageError extends RecioError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly; unknown or malformed options become UsageErrors. */
export function parse<O extends Options>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The value of a required option. */
export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A non-negative integer option, or the default when absent. */
export function integer(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const value = values[name];
  if (value === undefined) return fallback;
  if (
    typeof value !== 'string' ||
    !/^\d+$/.test(value) ||
    Number(value) < min ||
    !Number.isSafeInteger(Number(value))
  ) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** `--since ISO-8601` or `--since seq:N`. */
export function since(value: string): { sinceSeq: number } | { sinceTime: Date } {
  const seq = /^seq:(\d+)$/.exec(value);
  if (seq) {
    const n = Number(seq[1]);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--since seq:N is out of range: ${value}`);
    return { sinceSeq: n };
  }
  // A date, or a date and time with a zone; no bare numbers, no guessing of local time.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value)) {
    throw new UsageError(
      `--since must be an ISO-8601 time with a zone (2025-08-01T00:00:00Z) or seq:N, got ${JSON.stringify(value)}`,
    );
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--since is not a valid date: ${JSON.stringify(value)}`);
  return { sinceTime: time };
}
