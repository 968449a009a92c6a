import { InvalidOptionError } from './errors.js';

/** Shared option checks for the renderers; each throws an InvalidOptionError naming the option. */

export function checkPort(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidOptionError(option, `must be an integer port in 1..65535, got ${String(value)}`);
  }
  return value;
}

export function checkPositiveInt(option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** A non-empty string without line breaks or NUL (a line break would inject a config line). */
export function checkText(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || /[\r\n\0]/.test(value)) {
    throw new InvalidOptionError(option, `must be a non-empty single-line string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A non-empty string without whitespace: host names, user names, ACL patterns. */
export function checkToken(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || /[\s\0]/.test(value)) {
    throw new InvalidOptionError(option, `must be a non-empty string without whitespace, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidOptionError(option, `must be a boolean, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Spreads `options` over `defaults`, ignoring keys the caller set to `undefined`, so
 * `{ port: undefined }` means "use the default" rather than "no port".
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...defaults, ...defined } as D & O;
}
