import { randomFillSync } from 'node:crypto';
import type { Channels } from './channels.js';
import { DeliveryMismatchError, InvalidEventError } from './errors.js';
import type { NewEvent } from './sql/insert-events.js';
import { v7 as uuidv7 } from 'uuid';

const TYPE_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The random part of event ids, 16 bytes at a time from a pool refilled in one call. uuid's own
 * source asks Web Crypto for each id (crypto.getRandomValues): 6.5 µs an id on the bench machine
 * against 0.4 µs from the pool (docs/performance.md); node's randomUUID pools its bytes the same way.
 */
const RANDOM_POOL = Buffer.allocUnsafe(16 * 256);
let randomAt = RANDOM_POOL.length;
/**
 * The millisecond and counter of the last id, kept as uuid keeps them when it draws its own bytes
 * (given bytes, it keeps no state): a new millisecond starts the counter at a random 31-bit value,
 * the same millisecond counts on, so ids are strictly increasing within the process.
 */
const last = { msecs: -Infinity, seq: 0 };

function eventId(): string {
  if (randomAt === RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomAt = 0;
  }
  const random = RANDOM_POOL.subarray(randomAt, randomAt + 16);
  randomAt += 16;
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    last.seq = random.readUInt32BE(6) & 0x7fffffff;
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++;
  }
  return uuidv7({ random, msecs: last.msecs, seq: last.seq }); // reads `random` at once, before any refill
}

/** What a caller hands to publish: the channel, the event type and its JSON-able data. */
export interface EventInput {
  channel: string;
  type: string;
  data: unknown;
}

/**
 * Checks one event before anything is written (bad input never reaches PostgreSQL) and
 * gives it its id (a UUIDv7: time-ordered, so event_log's key grows at its right edge). `latest`:
 * for publishLatest (a latest-value channel), else for a transaction. Throws InvalidChannelError,
 * ChannelNotPublishedError, DeliveryMismatchError or InvalidEventError.
 */
export function encodeEvent(channels: Channels, maxEventBytes: number, input: EventInput, latest = false): NewEvent {
  channels.validatePublish(input.channel);
  if (channels.isLatest(input.channel) !== latest) throw new DeliveryMismatchError(input.channel, !latest);
  if (typeof input.type !== 'string' || !TYPE_RE.test(input.type)) {
    throw new InvalidEventError(
      `invalid event type ${JSON.stringify(input.type)}: expected [A-Za-z][A-Za-z0-9_.:-]{0,63}`,
    );
  }
  let dataText: string | undefined;
  try {
    dataText = JSON.stringify(input.data);
  } catch (cause) {
    throw new InvalidEventError(`data of ${input.type} is not serialisable as JSON`, { cause });
  }
  if (dataText === undefined)
    throw new InvalidEventError(`data of ${input.type} is missing or not JSON (undefined, a function or a symbol)`);
  // PostgreSQL cannot turn \u0000 into text (jsonb, ->> and friends reject it): refuse it
  // here with a clear message rather than store data no one can query.
  if (dataText.includes('\\u0000')) throw new InvalidEventError(`data of ${input.type} contains a NUL character`);
  const bytes = Buffer.byteLength(dataText);
  if (bytes > maxEventBytes)
    throw new InvalidEventError(`data of ${input.type} is ${bytes} bytes; the limit is ${maxEventBytes}`);
  return { event_id: eventId(), channel: input.channel, type: input.type, dataText };
}
