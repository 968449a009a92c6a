import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from './line-splitter.js';

describe('LineSplitter', () => {
  it('joins lines split across chunks and returns the partial last line at the end', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('one\ntw'))).toEqual(['one']);
    expect(s.push(Buffer.from('o\r\nthree'))).toEqual(['two']);
    expect(s.end()).toEqual(['three']);
    expect(s.end()).toEqual([]);
  });

  it('decodes a multi-byte character split between chunks', () => {
    const s = new LineSplitter();
    const euro = Buffer.from('€'); // 3 bytes: e2 82 ac
    expect(s.push(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]))).toEqual([]);
    expect(s.push(Buffer.concat([euro.subarray(2), Buffer.from('\n')]))).toEqual(['a€']);
  });

  it('keeps empty lines and cuts a line longer than the limit', () => {
    const s = new LineSplitter();
    expect(s.push('\n\n')).toEqual(['', '']);
    const long = 'x'.repeat(MAX_LINE_CHARS + 10);
    expect(s.push(long)).toEqual(['x'.repeat(MAX_LINE_CHARS)]);
    expect(s.end()).toEqual(['x'.repeat(10)]);
  });
});
