/** Base of every error the router throws: a stable `code` to branch on, the `cause` kept. */
export class RecioError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option passed to a component is missing or out of range; the message names it. */
export class InvalidOptionError extends RecioError {
  constructor(option: string, message: string) {
    super('INVALID_OPTION', `option ${option}: ${message}`);
  }
}

/** A channel name or pattern that does not follow `<class>:<name>` with a known class. */
export class InvalidChannelError extends RecioError {
  constructor(channel: string, reason: string) {
    super('INVALID_CHANNEL', `invalid channel ${JSON.stringify(channel)}: ${reason}`);
  }
}

/** An event on a class the router was not told it publishes (RouterOptions.publishes). */
export class ChannelNotPublishedError extends RecioError {
  constructor(channel: string, publishes: readonly string[]) {
    super(
      'CHANNEL_NOT_PUBLISHED',
      `${JSON.stringify(channel)} is not a channel of a class this service publishes (${publishes.join(', ') || 'none'})`,
    );
  }
}

/** An event that cannot be published: bad type, data that is not JSON, or too large. */
export class InvalidEventError extends RecioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_EVENT', message, options);
  }
}

/**
 * An event published the wrong way for its class (ARCHITECTURE invariant 14): a latest-value channel
 * (prices, markets) in a transaction, or an exactly-once channel through publishLatest.
 */
export class DeliveryMismatchError extends RecioError {
  constructor(channel: string, latest: boolean) {
    super(
      'DELIVERY_MISMATCH',
      latest
        ? `${JSON.stringify(channel)} is a latest-value channel: publish it with publishLatest, not in a transaction`
        : `${JSON.stringify(channel)} is an exactly-once channel: publish it in a transaction (publish, tx.publish)`,
    );
  }
}

/** A replay asked for events older than the channel class keeps (invariant 6). */
export class ReplayExpiredError extends RecioError {
  readonly earliestSeq: number | null;

  constructor(channel: string, earliestSeq: number | null) {
    super(
      'REPLAY_EXPIRED',
      `replay of ${channel} reaches before its retention window` +
        (earliestSeq === null ? '' : `; the earliest kept event is seq ${earliestSeq}`),
    );
    this.earliestSeq = earliestSeq;
  }
}

/** A replay range that is malformed (both or neither of sinceSeq/sinceTime, bad limit). */
export class InvalidReplayError extends RecioError {
  constructor(message: string) {
    super('INVALID_REPLAY', message);
  }
}

/** The component was closed; no new work is accepted. */
export class ClosedError extends RecioError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

/**
 * Codes meaning the connection itself is broken (SQLSTATE class 08, admin shutdown, socket
 * errnos): a client that saw one must not go back to its pool.
 */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '57P01', // admin_shutdown
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * The stable code of any error: a RecioError's code, a SQLSTATE, an errno, or the prefix of a Redis
 * error reply (`NOPERM`, `NOGROUP`, `BUSYGROUP`, `NOSCRIPT`: ioredis's ReplyError carries no code, the
 * reply's first word is it); else 'UNKNOWN'.
 */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    if (typeof code === 'string') return code;
  }
  if (isRedisReplyError(error)) return /^([A-Z][A-Z_]+)\b/.exec(error.message)?.[1] ?? 'UNKNOWN';
  return 'UNKNOWN';
}

/**
 * Whether Redis answered with an error reply (ioredis's ReplyError: WRONGTYPE, NOPERM, a script's
 * error…): the server is there and refused this command, as against a connection that failed.
 */
export function isRedisReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

// The replies that are about one key (what is at it, an id below its stream's top), as against Redis
// as a whole (READONLY after a failover, OOM, BUSY, LOADING, MASTERDOWN; NOPERM: a user's ACL, which
// grants the router's keys by pattern, is wrong for all of them or none).
const KEY_REFUSALS = new Set(['WRONGTYPE', 'ERR']);

/**
 * Whether Redis refused a command for the key it named (WRONGTYPE: not a stream; ERR: an XADD id at
 * or below the stream's top, say): other keys may be fine, so a caller walking many channels sets
 * this one apart and goes on. Any other failure concerns every key.
 */
export function isKeyRefusal(error: unknown): error is Error {
  return isRedisReplyError(error) && KEY_REFUSALS.has(errorCode(error));
}
