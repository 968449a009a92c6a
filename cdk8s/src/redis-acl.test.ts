import { SERVICES } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_CLASSES } from '@recio/router';
import { channelClassesInUse, redisAclUsers } from './redis-acl.js';

describe('redisAclUsers', () => {
  it("lets every service user use the pub/sub channels of every class the router knows (the append script PUBLISHes on the event's channel)", () => {
    expect(channelClassesInUse()).toEqual(Object.keys(DEFAULT_CHANNEL_CLASSES).sort());
    const tradeManager = redisAclUsers().find((u) => u.name === 'trade-manager')!;
    expect(tradeManager.channels).toEqual(['recio:*', ...channelClassesInUse().map((c) => `${c}:*`)]);
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
