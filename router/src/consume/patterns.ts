/** A subscription pattern `class:prefix*` as a SQL LIKE pattern (`_` and `%` escaped). */
export function toLike(pattern: string): string {
  return pattern.slice(0, -1).replace(/[\\_%]/g, (c) => `\\${c}`) + '%';
}

/** Whether a channel matches a pattern `class:prefix*`. */
export function matches(pattern: string, channel: string): boolean {
  return channel.startsWith(pattern.slice(0, -1));
}

/** True for `trades:*`, `trades:user_*`; false for a concrete channel. */
export function isPattern(channelOrPattern: string): boolean {
  return channelOrPattern.endsWith('*');
}
