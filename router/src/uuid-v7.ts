import { randomFillSync } from 'node:crypto';

const bytes = Buffer.alloc(16);

/**
 * A UUID version 7 (RFC 9562): the Unix time in milliseconds in the first 48 bits, then 74
 * random bits. Event ids are `event_log`'s primary key: time-ordered ids are inserted at the
 * right edge of its B-tree, where random (v4) ids touch a random leaf each, and after every
 * checkpoint write that whole page to the WAL again (measured in docs/performance.md).
 * (Node.js 20 has no crypto.randomUUIDv7.)
 */
export function uuidv7(nowMs = Date.now()): string {
  randomFillSync(bytes, 6, 10);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
