import { describe, expect, it } from 'vitest';
import { frameText } from './frame-text.js';

describe('frameText', () => {
  it('reads a Buffer, the fragments of one message and an ArrayBuffer alike', () => {
    const text = '{"type":"ticker","price":"65000.01"}';
    const bytes = Buffer.from(text);
    expect(frameText(bytes)).toBe(text);
    expect(frameText([bytes.subarray(0, 5), bytes.subarray(5)])).toBe(text);
    expect(frameText(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toBe(text);
  });
});
