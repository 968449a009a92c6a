/**
 * The channel grammar (ARCHITECTURE "Channel names"): `<class>:<name>`, e.g. `trades:user_0001`,
 * `prices:btc`. The class is lower-case letters, digits and `_`; the name letters, digits and
 * `_ . -`. Colons, braces, `*` and spaces are excluded, so a channel is always one Redis Cluster hash
 * tag and never a pub/sub pattern. A pattern ends a prefix of a name with `*` (`trades:*`,
 * `trades:user_*`): streams have no wildcards, so the router resolves patterns itself.
 */

const CLASS = '[a-z][a-z0-9_]{0,31}';
const NAME_CHAR = '[A-Za-z0-9_.-]';

/** A channel class: `trades`, `prices`, ... */
export const CHANNEL_CLASS_RE = new RegExp(`^${CLASS}$`);
/** A concrete channel; group 1 is its class, group 2 its name. */
export const CHANNEL_RE = new RegExp(`^(${CLASS}):(${NAME_CHAR}{1,128})$`);
/** A pattern `<class>:<prefix>*`; group 1 is its class, group 2 the prefix (possibly empty). */
export const CHANNEL_PATTERN_RE = new RegExp(`^(${CLASS}):(${NAME_CHAR}{0,128})\\*$`);

/** Whether `value` is a concrete channel. */
export function isChannel(value: string): boolean {
  return CHANNEL_RE.test(value);
}

/** Whether `value` is a pattern `<class>:<prefix>*` (not a concrete channel). */
export function isChannelPattern(value: string): boolean {
  return CHANNEL_PATTERN_RE.test(value);
}

/** Whether `value` is a concrete channel or a pattern: what a subscription may name. */
export function isChannelOrPattern(value: string): boolean {
  return isChannel(value) || isChannelPattern(value);
}

/**
 * The class of a channel or pattern (`trades` for `trades:user_0001` and `trades:*`): the only
 * channel label metrics may carry (per-user labels would explode cardinality).
 */
export function channelClass(channelOrPattern: string): string {
  const i = channelOrPattern.indexOf(':');
  return i < 0 ? channelOrPattern : channelOrPattern.slice(0, i);
}

/**
 * The channel `<cls>:<name>`, typed by its class (a typed publish knows which events it carries);
 * throws a TypeError when either part breaks the grammar.
 */
export function channelOf<C extends string>(cls: C, name: string): `${C}:${string}` {
  const channel = `${cls}:${name}` as const;
  if (!isChannel(channel)) throw new TypeError(`not a channel: ${JSON.stringify(channel)}`);
  return channel;
}

/** Whether the concrete `channel` is `pattern` itself or matches it (`trades:*` ∋ `trades:user_0001`). */
export function channelMatches(pattern: string, channel: string): boolean {
  return pattern.endsWith('*') ? channel.startsWith(pattern.slice(0, -1)) : channel === pattern;
}
