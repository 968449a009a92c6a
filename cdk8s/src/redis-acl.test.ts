import { CHANNEL_CLASS_NAMES, classPubsubPattern, ANNOUNCE_CHANNEL } from '@recio/contract';
import { channelClassesInUse, redisKeyFamilies, SERVICES } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { redisAclUsers } from './redis-acl.js';

describe('redisAclUsers', () => {
  it("lets every service user use the pub/sub channels of every class (the append script PUBLISHes on the event's channel)", () => {
    expect(channelClassesInUse()).toEqual([...CHANNEL_CLASS_NAMES].sort());
    const tradeManager = redisAclUsers().find((u) => u.name === 'trade-manager')!;
    expect(tradeManager.channels).toEqual([ANNOUNCE_CHANNEL, ...channelClassesInUse().map(classPubsubPattern)]);
  });

  it('gives each service user the patterns of exactly the key families it writes, nothing wider (regression: cache:<service>:* while services wrote cache:prices:…)', () => {
    const users = new Map(redisAclUsers().map((u) => [u.name, u]));
    expect(users.get('btc-price-watchdog')!.keys).toEqual(['stream:{*}', 'cache:prices:*:current', 'ts:prices:*']);
    expect(users.get('active-trade-supervisor')!.keys).toEqual(['stream:{*}', 'dlq:{*}', 'cache:trades:*:live']);
    expect(users.get('relay')!.keys).toEqual(['stream:{*}', 'recio:relay:marker']);
    for (const s of SERVICES.filter((x) => users.has(x.name))) {
      expect(users.get(s.name)!.keys).toEqual(redisKeyFamilies(s).map((f) => f.pattern));
      expect(users.get(s.name)!.keys).not.toContain('*');
    }
  });

  it('gives the system users no channels beyond their own, and disables the default user', () => {
    const users = new Map(redisAclUsers().map((u) => [u.name, u]));
    expect(users.get('default')).toMatchObject({ enabled: false, channels: [], commands: ['-@all'] });
    expect(users.get('replication')!.channels).toEqual([]);
    expect(users.get('sentinel')!.channels).toEqual(['__sentinel__:hello']);
    // one user per service that talks to Redis, none for the paper exchange
    expect(users.has('paper-exchange')).toBe(false);
    expect(SERVICES.filter((s) => s.name !== 'paper-exchange').every((s) => users.has(s.name))).toBe(true);
  });
});
