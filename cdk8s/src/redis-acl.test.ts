import { ANNOUNCE_CHANNEL, CHANNEL_CLASS_NAMES } from '@recio/contract';
import { channelClassesInUse, SERVICES } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { REDIS_EXPORTER_COMMANDS, REDIS_EXPORTER_USER, redisAclSecretKeys, redisAclUsers } from './redis-acl.js';

describe('redisAclUsers', () => {
  it('gives each service user the streams of the classes it publishes, the group commands on those it only consumes, and read-only access where it reads every channel', () => {
    expect(channelClassesInUse()).toEqual([...CHANNEL_CLASS_NAMES].sort());
    const users = new Map(redisAclUsers().map((u) => [u.name, u]));
    expect(users.get('btc-price-watchdog')).toMatchObject({
      keys: ['stream:{prices:*}', 'stream:{system:*}', 'cache:prices:*:current', 'ts:prices:*'],
      readKeys: [],
      channels: [ANNOUNCE_CHANNEL, 'prices:*', 'system:*'],
      selectors: [],
    });
    const supervisor = users.get('active-trade-supervisor')!;
    expect(supervisor.keys).toEqual([
      'stream:{system:*}',
      'stream:{trades:*}',
      'dlq:{prices:*}',
      'dlq:{settings:*}',
      'dlq:{trades:*}',
      'cache:trades:*:live',
      'cache:version:*',
    ]);
    expect(supervisor.selectors).toEqual([
      {
        keys: ['stream:{prices:*}', 'stream:{settings:*}'],
        commands: expect.arrayContaining(['+xreadgroup', '+xack']),
      },
    ]);
    expect(supervisor.selectors![0]!.commands).not.toContain('+xadd');
    expect(supervisor.selectors![0]!.commands).not.toContain('+evalsha');
    const mainApp = users.get('main-app')!;
    expect(mainApp.keys).toEqual(['stream:{settings:*}', 'ratelimit:*:*', 'cache:view:*']);
    expect(mainApp.readKeys).toHaveLength(CHANNEL_CLASS_NAMES.length - 1);
    expect(users.get('relay')!.keys).toEqual([
      ...channelClassesInUse().map((c) => `stream:{${c}:*}`),
      'recio:relay:marker',
    ]);
    for (const s of SERVICES.filter((x) => users.has(x.name))) {
      const u = users.get(s.name)!;
      expect(u.keys, s.name).not.toContain('*');
      expect(u.keys, s.name).not.toContain('stream:{*}');
      expect(u.commands, s.name).not.toContain('+@scripting');
      expect(u.commands, s.name).toEqual(expect.arrayContaining(['+evalsha', '+eval', '-@dangerous']));
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

  it("gives the exporter's user the commands of its default collection only: no key, no channel, no CONFIG", () => {
    const exporter = redisAclUsers().find((u) => u.name === REDIS_EXPORTER_USER)!;
    expect(exporter).toMatchObject({ keys: [], channels: [], commands: [...REDIS_EXPORTER_COMMANDS] });
    expect(exporter.readKeys ?? []).toEqual([]);
    expect(exporter.selectors ?? []).toEqual([]);
    // starts from nothing, then single commands or subcommands, never a category
    expect(exporter.commands[0]).toBe('-@all');
    for (const c of exporter.commands.slice(1)) expect(c).toMatch(/^\+[a-z]+(\|[a-z]+)?$/);
    expect(exporter.commands.some((c) => /^\+config/.test(c))).toBe(false);
    expect(redisAclSecretKeys()).toContain(REDIS_EXPORTER_USER);
  });
});
