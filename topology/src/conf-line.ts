/**
 * One line of a redis.conf / sentinel.conf file. Redis splits config lines like a shell
 * (sdssplitargs), so an argument with spaces, quotes or control characters is written as a
 * double-quoted string with escapes; everything else is written bare, which keeps the common
 * case readable and the output deterministic.
 */
export function confLine(directive: string, ...args: Array<string | number>): string {
  return [directive, ...args.map((a) => quoteConfArg(String(a)))].join(' ');
}

// Bare only without whitespace, quotes, backslashes and control characters; all else is quoted.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be quoted
const BARE = /^[^\s"'\\\x00-\x1f\x7f]+$/;

/** Quotes one argument the way sdssplitargs reads it back. */
export function quoteConfArg(value: string): string {
  if (BARE.test(value)) return value;
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
