import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { errorCode, InvalidEventError, isKeyRefusal } from './errors.js';

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

describe('isKeyRefusal', () => {
  it('tells a refusal of one key from Redis unwell as a whole, and from a connection that failed', () => {
    const refusals = [
      'WRONGTYPE Operation against a key holding the wrong kind of value script: 1a2b, on @user_script:7.',
      'ERR The ID specified in XADD is equal or smaller than the target stream top item script: 1a2b',
    ];
    for (const message of refusals) expect(isKeyRefusal(new ReplyError(message)), message).toBe(true);
    const wholeRedis = [
      "READONLY You can't write against a read only replica.",
      "OOM command not allowed when used memory > 'maxmemory'.",
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script.',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'NOPERM this user has no permissions to access one of the keys used as arguments',
    ];
    for (const message of wholeRedis) expect(isKeyRefusal(new ReplyError(message)), message).toBe(false);
    expect(isKeyRefusal(new Error('Connection is closed.'))).toBe(false);
    expect(isKeyRefusal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});
