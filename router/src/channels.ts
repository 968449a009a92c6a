import { InvalidChannelError } from './errors.js';
import type { ChannelClassPolicy } from './channel-classes.js';

// `<class>:<name>`: the class is lower-case letters, the name letters, digits, `_ . -`.
// Colons, braces and spaces are excluded so a channel is always one Redis Cluster hash tag.
const CHANNEL_RE = /^([a-z][a-z0-9_]{0,31}):([A-Za-z0-9_.-]{1,128})$/;
const PATTERN_RE = /^([a-z][a-z0-9_]{0,31}):([A-Za-z0-9_.-]{0,128}\*?)$/;

/** Channel names, their class and their Redis keys, checked against the known classes. */
export class Channels {
  readonly #classes: Readonly<Record<string, ChannelClassPolicy>>;

  constructor(classes: Readonly<Record<string, ChannelClassPolicy>>) {
    this.#classes = classes;
  }

  /** Throws InvalidChannelError unless `channel` is a concrete channel of a known class. */
  validate(channel: string): string {
    if (typeof channel !== 'string') throw new InvalidChannelError(String(channel), 'not a string');
    const match = CHANNEL_RE.exec(channel);
    if (!match) throw new InvalidChannelError(channel, 'expected <class>:<name> with name [A-Za-z0-9_.-]');
    const cls = match[1]!;
    if (!(cls in this.#classes)) {
      throw new InvalidChannelError(channel, `unknown class ${cls} (known: ${Object.keys(this.#classes).join(', ')})`);
    }
    return channel;
  }

  /** Validates a pattern such as `trades:*` or a concrete channel, for subscriptions and checks. */
  validatePattern(pattern: string): string {
    const match = PATTERN_RE.exec(pattern);
    if (!match || match[2] === '')
      throw new InvalidChannelError(pattern, 'expected <class>:<name> or <class>:<prefix>*');
    if (!(match[1]! in this.#classes)) throw new InvalidChannelError(pattern, `unknown class ${match[1]}`);
    return pattern;
  }

  /** The class of a valid channel: `trades:user_0001` → `trades`. */
  classOf(channel: string): string {
    return channel.slice(0, channel.indexOf(':'));
  }

  /** The policy of a valid channel's class. */
  policyOf(channel: string): ChannelClassPolicy {
    return this.#classes[this.classOf(channel)]!;
  }

  /** All classes with their policies. */
  get classes(): Readonly<Record<string, ChannelClassPolicy>> {
    return this.#classes;
  }
}

/** The stream of a channel: the braces make the channel a Redis Cluster hash tag. */
export function streamKey(channel: string): string {
  return `stream:{${channel}}`;
}

/** The dead-letter stream of a channel (same hash slot as its stream). */
export function dlqKey(channel: string): string {
  return `dlq:{${channel}}`;
}
