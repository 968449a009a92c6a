import {
  CHANNEL_PATTERN_RE,
  CHANNEL_RE,
  channelClass,
  deliveryOf,
  DEAD_LETTER_KEY,
  STREAM_KEY,
  type ChannelClassPolicy,
} from '@recio/contract';
import { ChannelNotPublishedError, InvalidChannelError } from './errors.js';

/** Channel names (the contract's grammar) checked against the router's classes, and their policies. */
export class Channels {
  readonly #classes: Readonly<Record<string, ChannelClassPolicy>>;
  readonly #publishes: readonly string[] | null;

  /** `publishes`: the classes a publish may name; null for any known class. */
  constructor(classes: Readonly<Record<string, ChannelClassPolicy>>, publishes: readonly string[] | null = null) {
    this.#classes = classes;
    this.#publishes = publishes;
  }

  /** Validates a channel to publish on: a concrete channel of a class this router publishes. */
  validatePublish(channel: string): string {
    this.validate(channel);
    if (this.#publishes && !this.#publishes.includes(channelClass(channel)))
      throw new ChannelNotPublishedError(channel, this.#publishes);
    return channel;
  }

  /** Throws InvalidChannelError unless `channel` is a concrete channel of a known class. */
  validate(channel: string): string {
    if (typeof channel !== 'string') throw new InvalidChannelError(String(channel), 'not a string');
    const match = CHANNEL_RE.exec(channel);
    if (!match) throw new InvalidChannelError(channel, 'expected <class>:<name> with name [A-Za-z0-9_.-]');
    this.#knownClass(channel, match[1]!);
    return channel;
  }

  /** Validates a pattern such as `trades:*` or a concrete channel, for subscriptions and checks. */
  validatePattern(pattern: string): string {
    if (typeof pattern === 'string' && CHANNEL_RE.test(pattern)) return this.validate(pattern);
    const match = typeof pattern === 'string' ? CHANNEL_PATTERN_RE.exec(pattern) : null;
    if (!match) throw new InvalidChannelError(String(pattern), 'expected <class>:<name> or <class>:<prefix>*');
    this.#knownClass(pattern, match[1]!);
    return pattern;
  }

  /** The class of a valid channel: `trades:user_0001` → `trades`. */
  classOf(channel: string): string {
    return channelClass(channel);
  }

  /** The policy of a valid channel's class. */
  policyOf(channel: string): ChannelClassPolicy {
    return this.#classes[this.classOf(channel)]!;
  }

  /**
   * Whether a channel's class is latest-value market data (delivery `latest`), not exactly-once.
   * False for a class this router does not know (the relay meets every class in channel_head).
   */
  isLatest(channel: string): boolean {
    const policy = this.#classes[this.classOf(channel)];
    return policy !== undefined && deliveryOf(policy) === 'latest';
  }

  /** All classes with their policies. */
  get classes(): Readonly<Record<string, ChannelClassPolicy>> {
    return this.#classes;
  }

  #knownClass(value: string, cls: string): void {
    if (!(cls in this.#classes)) {
      throw new InvalidChannelError(value, `unknown class ${cls} (known: ${Object.keys(this.#classes).join(', ')})`);
    }
  }
}

/** The stream of a channel (the contract's STREAM_KEY). */
export const streamKey = STREAM_KEY.key;

/** The dead-letter stream of a channel (the contract's DEAD_LETTER_KEY: same hash slot as its stream). */
export const dlqKey = DEAD_LETTER_KEY.key;
