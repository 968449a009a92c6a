import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { errorCode, InvalidEventError } from './errors.js';

describe('errorCode', () => {
  it("reads a Redis error reply's code from its first word (ioredis's ReplyError has no code)", () => {
    expect(errorCode(new ReplyError('NOPERM this user has no permissions to access one of the keys'))).toBe('NOPERM');
    expect(errorCode(new ReplyError('NOGROUP No such key or consumer group'))).toBe('NOGROUP');
    expect(errorCode(new ReplyError('BUSYGROUP Consumer Group name already exists'))).toBe('BUSYGROUP');
  });

  it('prefers an error’s own code, and is UNKNOWN for anything else', () => {
    expect(errorCode(new InvalidEventError('x'))).toBe('INVALID_EVENT');
    expect(errorCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode(new Error('NOPERM but not a reply'))).toBe('UNKNOWN');
    expect(errorCode('text')).toBe('UNKNOWN');
  });
});
