import type { RawData } from 'ws';

/**
 * The text of a WebSocket message as `ws` hands it over: a Buffer with the default binaryType,
 * an ArrayBuffer or the fragments of one message with the others (never silently `[object …]`).
 */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
