/**
 * A channel is `class:name` (`trades:user_0001`, `prices:btc`); a pattern ends the name with `*`
 * (`trades:*`, `trades:user_*`), as the router accepts. Streams have no wildcards, so a pattern is
 * resolved by the consumer, never by Redis.
 */
export const CHANNEL_PATTERN = /^[a-z][a-z0-9-]*:(\*|[a-z0-9][a-z0-9_.-]*\*?)$/;

/** Whether `value` is a channel or a `class:prefix*` pattern. */
export function isChannelPattern(value: string): boolean {
  return CHANNEL_PATTERN.test(value);
}

/** The class of a channel or pattern (`trades` for `trades:*`), the only label metrics may carry. */
export function channelClass(value: string): string {
  const i = value.indexOf(':');
  return i < 0 ? value : value.slice(0, i);
}
