import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKey } from '../channels.js';
import { REDIS_URL, uniqueName } from '@recio/test-support';
import { RouterScripts, type AppendEntry } from './scripts.js';

let redis: Redis;
let scripts: RouterScripts;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  scripts = new RouterScripts(redis);
});

afterAll(() => redis.disconnect());

const entry = (seq: number): AppendEntry => ({
  event_id: `id-${seq}`,
  type: 't',
  source: 's',
  ts: 1_700_000_000_000 + seq,
  dataText: `{"seq":${seq}}`,
});
const entries = (from: number, to: number): AppendEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
const opts = { jumpFrom: -1, maxLen: 0, announceChannel: '' };

async function ids(key: string): Promise<string[]> {
  return (await redis.xrange(key, '-', '+')).map(([id]) => id);
}

describe('append.lua', () => {
  it('appends only in sequence, skips what is there, and refuses gaps', async () => {
    const channel = `trades:${uniqueName()}`;
    const key = streamKey(channel);
    expect(await scripts.append(key, channel, 1, entries(1, 3), opts)).toEqual({ status: 'appended', last: 3 });
    expect(await scripts.append(key, channel, 1, entries(1, 3), opts)).toEqual({ status: 'duplicate', last: 3 });
    expect(await scripts.append(key, channel, 2, entries(2, 5), opts)).toEqual({ status: 'appended', last: 5 });
    expect(await scripts.append(key, channel, 8, entries(8, 9), opts)).toEqual({ status: 'gap', last: 5 });
    expect(await scripts.append(key, channel, 8, entries(8, 9), { ...opts, jumpFrom: 4 })).toEqual({
      status: 'gap',
      last: 5,
    });
    expect(await ids(key)).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0']);
    expect(await scripts.append(key, channel, 8, entries(8, 9), { ...opts, jumpFrom: 5 })).toEqual({
      status: 'appended',
      last: 9,
    });
    expect(await ids(key)).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0', '8-0', '9-0']);
    expect(await scripts.lastSeq(key)).toBe(9);
    expect(await scripts.lastSeq(streamKey(`trades:${uniqueName()}`))).toBe(0);
  });

  it('writes the same entry for the same event', async () => {
    const channel = `trades:${uniqueName()}`;
    await scripts.append(streamKey(channel), channel, 1, [entry(1)], opts);
    expect(await redis.xrange(streamKey(channel), '-', '+')).toEqual([
      ['1-0', ['event_id', 'id-1', 'type', 't', 'source', 's', 'ts', '1700000000001', 'data', '{"seq":1}']],
    ]);
  });

  it('trims to about MAXLEN and announces a new stream once', async () => {
    const channel = `prices:${uniqueName()}`;
    const announce = `recio:channels:${uniqueName()}`;
    const sub = new Redis(REDIS_URL);
    const heard: string[] = [];
    await sub.subscribe(announce);
    sub.on('message', (_c, m) => heard.push(m));
    for (let from = 1; from <= 1_000; from += 100) {
      await scripts.append(streamKey(channel), channel, from, entries(from, from + 99), {
        jumpFrom: -1,
        maxLen: 100,
        announceChannel: announce,
      });
    }
    const length = await redis.xlen(streamKey(channel));
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(1_000);
    await expect.poll(() => heard).toEqual([channel]);
    sub.disconnect();
  });
});

describe('trim-ahead.lua', () => {
  it('removes entries above the head, lets the stream take the ids after it again, and moves back groups read past it', async () => {
    const channel = `trades:${uniqueName()}`;
    const key = streamKey(channel);
    await scripts.append(key, channel, 1, entries(1, 3), opts);
    await redis.xadd(key, '999999999-0', 'f', 'forged');
    await redis.xgroup('CREATE', key, 'g', '0');
    await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', key, '>');
    expect(await scripts.trimAhead(key, 3, '999999999-0')).toEqual({ removed: 1, last: 3, groups: 1 });
    expect(await ids(key)).toEqual(['1-0', '2-0', '3-0']);
    // XADD accepts the next seq again (a stream otherwise refuses ids below the highest it was given)
    expect(await scripts.append(key, channel, 4, entries(4, 4), opts)).toEqual({ status: 'appended', last: 4 });
    const read = (await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', key, '>')) as [string, [string][]][];
    expect(read[0]![1].map(([id]) => id)).toEqual(['4-0']);
  });

  it('cuts nothing when the stream no longer ends where the caller saw it', async () => {
    const channel = `trades:${uniqueName()}`;
    const key = streamKey(channel);
    await scripts.append(key, channel, 1, entries(1, 3), opts);
    expect(await scripts.trimAhead(key, 1, '2-0')).toBeNull();
    expect(await ids(key)).toEqual(['1-0', '2-0', '3-0']);
  });
});
