/**
 * The Redis and Sentinel files the charts ship, after the same placeholder substitution their pod
 * start scripts do, run under real redis-server processes: the ACL users can do what their service
 * needs and nothing else, the default user cannot log in, a sentinel authenticates to the master,
 * and three redis with three sentinels fail over when the master dies, replicating and promoting
 * with nothing but the ACL users the files declare.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@recio/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOUNCE_CHANNEL, CHANNEL_CLASS_NAMES, channelOf, KEY_FAMILIES, type KeyFamily } from '@recio/contract';
import { channelClassesInUse, consumedClasses, publishedClasses, redisServices } from '@recio/platform';
import { dlqKey, RouterScripts, streamKey, type RecioEvent } from '@recio/router';
import type { Redis } from 'ioredis';
import { testRouter, createTestDatabase, until } from '@recio/test-support';
import { chartObjects, configMapData } from '../test/chart-objects.js';
import { Clients, passwords, substitute } from '../test/chart-redis.js';

describe('charts Redis config under real servers', () => {
  const procs: ChildProcess[] = [];
  const clients = new Clients();
  let dir = '';
  let redisPort = 0;
  let sentinelPort = 0;
  const client = (username: string, port = redisPort) => clients.connect(port, username);

  beforeAll(async () => {
    const data = configMapData(chartObjects({ profile: 'kind', redisMode: 'sentinel' }), 'redis-config');
    dir = await mkdtemp(join(tmpdir(), 'recio-charts-redis-'));
    redisPort = await getFreePort();
    sentinelPort = await getFreePort();
    // The pods' /data is this test's directory (the file's `dir` must exist before overrides apply).
    const here = (text: string) => text.replace(/^dir \/data$/m, `dir ${dir}`);
    await writeFile(join(dir, 'redis.conf'), here(substitute(data['redis-master.conf']!, { SELF_HOST: '127.0.0.1' })));
    const sentinelConf = here(
      substitute(data['sentinel.conf']!, { SELF_HOST: '127.0.0.1', MASTER_HOST: '127.0.0.1' }),
    ).replace(/ 6379 2$/m, ` ${redisPort} 2`);
    await writeFile(join(dir, 'sentinel.conf'), sentinelConf);
    // Command-line options override the file: a free port, loopback only, this test's directory.
    const common = ['--bind', '127.0.0.1', '--dir', dir];
    procs.push(
      spawn('redis-server', [join(dir, 'redis.conf'), '--port', String(redisPort), ...common], { stdio: 'ignore' }),
    );
    procs.push(
      spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel', '--port', String(sentinelPort), ...common], {
        stdio: 'ignore',
      }),
    );
    await until('redis', async () => ((await client('admin').ping()) === 'PONG' ? true : undefined));
  });

  afterAll(async () => {
    clients.closeAll();
    for (const p of procs.reverse()) p.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets each service user write its own key families, and refuses it every other', async () => {
    const own = KEY_FAMILIES.filter((f) => f.kind !== 'stream');
    const sample = (f: KeyFamily): string => f.key(...Array.from({ length: f.key.length }, () => 'acl'));
    const write = async (redis: Redis, f: KeyFamily): Promise<unknown> => {
      const key = sample(f);
      if (f.kind === 'zset') return redis.zadd(key, 1, 'm').then(() => redis.zremrangebyscore(key, '-inf', '0'));
      return redis.set(key, 'v', 'EX', 60);
    };
    const checked: string[] = [];
    for (const service of redisServices()) {
      const user = client(service.name);
      for (const f of own) {
        if (service.redisKeys.includes(f)) {
          await expect(write(user, f), `${service.name} writes ${sample(f)}`).resolves.toBeDefined();
          checked.push(f.name);
        } else {
          await expect(write(user, f), `${service.name} may not write ${sample(f)}`).rejects.toThrow(/NOPERM/);
        }
      }
      await expect(user.publish('elsewhere:x', 'x')).rejects.toThrow(/NOPERM/);
      await expect(user.flushall()).rejects.toThrow(/NOPERM/);
      await expect(user.config('GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/);
      // the router's scripts run with EVALSHA/EVAL; nothing else of scripting
      await expect(user.call('SCRIPT', 'FLUSH')).rejects.toThrow(/NOPERM/);
      await expect(user.call('FUNCTION', 'LIST')).rejects.toThrow(/NOPERM/);
    }
    // Every family some service writes was written by it (none is declared for nobody).
    expect([...new Set(checked)].sort()).toEqual(own.map((f) => f.name).sort());
  });

  it("lets each service append only to the classes it publishes, consume only its groups' classes, read only what it reads (regression: every user could XADD every stream)", async () => {
    const admin = client('admin');
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: Error) => (/NOPERM/.test(err.message) ? 'NOPERM' : err.message),
      );
    const table: string[] = [];
    for (const service of redisServices()) {
      const user = client(service.name);
      const scripts = new RouterScripts(user);
      const appends = service.everyChannel === 'append' ? channelClassesInUse() : publishedClasses(service);
      const groups = service.everyChannel === 'manage-groups' ? channelClassesInUse() : consumedClasses(service);
      for (const cls of CHANNEL_CLASS_NAMES) {
        const channel = channelOf(cls, `acl-${service.name}`);
        const key = streamKey(channel);
        await admin.xadd(key, '1-0', 'type', 'seed');
        const entry = { event_id: `e-${cls}`, type: 'acl.test', source: service.name, ts: 1, dataText: '{}' };
        const may = {
          append: appends.includes(cls),
          consume: appends.includes(cls) || groups.includes(cls),
          read: appends.includes(cls) || groups.includes(cls) || service.everyChannel === 'read',
        };
        const got = {
          // the append script, as the router runs it (EVALSHA, EVAL when not cached)
          append: await refused(
            scripts.append(key, channel, 2, [entry], { jumpFrom: -1, maxLen: 0, announceChannel: ANNOUNCE_CHANNEL }),
          ),
          xadd: await refused(user.xadd(key, '*', 'type', 'forged')),
          trim: await refused(user.xtrim(key, 'MAXLEN', 1_000)),
          group: await refused(user.xgroup('CREATE', key, `g-${service.name}`, '0')),
          read: await refused(user.xrange(key, '-', '+')),
        };
        const readGroup =
          got.group === 'ok'
            ? await refused(user.xreadgroup('GROUP', `g-${service.name}`, 'c1', 'COUNT', 1, 'STREAMS', key, '>'))
            : 'NOPERM';
        const dlq = await refused(user.xadd(dlqKey(channel), '*', 'type', 'letter'));
        const expected = {
          append: may.append ? 'ok' : 'NOPERM',
          xadd: may.append ? 'ok' : 'NOPERM',
          trim: may.append ? 'ok' : 'NOPERM',
          group: may.consume ? 'ok' : 'NOPERM',
          read: may.read ? 'ok' : 'NOPERM',
        };
        expect(got, `${service.name} on ${cls}`).toEqual(expected);
        expect(readGroup, `${service.name} reads ${cls} as a group`).toBe(may.consume ? 'ok' : 'NOPERM');
        expect(dlq, `${service.name} dead-letters ${cls}`).toBe(
          consumedClasses(service).includes(cls) ? 'ok' : 'NOPERM',
        );
        // pub/sub: the doorbell of the class (PUBLISH in the append script, SUBSCRIBE by consumers)
        expect(await refused(user.publish(channel, 'x')), `${service.name} publishes on ${cls}:*`).toBe(
          may.read ? 'ok' : 'NOPERM',
        );
        table.push(`${service.name} ${cls} ${may.append ? 'A' : may.consume ? 'C' : may.read ? 'R' : '-'}`);
      }
      expect(await user.publish(ANNOUNCE_CHANNEL, 'x')).toBe(0);
    }
    // The catalogue's shape, spot-checked: main-app only publishes settings and reads the rest.
    expect(table).toContain('main-app settings A');
    expect(table).toContain('main-app trades R');
    expect(table).toContain('trade-manager prices C');
    expect(table).toContain('btc-price-watchdog trades -');
  });

  it('refuses the default user and keeps streams safe from eviction', async () => {
    const anon = clients.connect(redisPort);
    await expect(anon.get('x')).rejects.toThrow(/NOAUTH|WRONGPASS|NOPERM/);
    const admin = client('admin');
    expect(await admin.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await admin.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
  });

  it('has the sentinel monitor the master with its ACL user (quorum 2)', async () => {
    const sentinel = clients.connect(sentinelPort);
    const master = await until('sentinel to see the master', async () => {
      const flat = (await sentinel.call('SENTINEL', 'MASTER', 'recio')) as string[];
      const m = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
      // info-refresh: milliseconds since the sentinel's last INFO reply, which needs its ACL user to work.
      return m['flags'] === 'master' && Number(m['info-refresh']) < 5000 ? m : undefined;
    });
    expect(master['quorum']).toBe('2');
    expect(master['port']).toBe(String(redisPort));
  });
});

describe('charts Sentinel files: a failover', () => {
  const procs = new Map<string, ChildProcess>();
  const clients = new Clients();
  let dir = '';
  const ports: { redis: number[]; sentinel: number[] } = { redis: [], sentinel: [] };
  const connect = (port: number, username?: string) => clients.connect(port, username);
  const masterPort = async (sentinelPort: number): Promise<number | undefined> => {
    const reply = (await connect(sentinelPort).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'recio')) as
      [string, string] | null;
    return reply ? Number(reply[1]) : undefined;
  };
  const role = async (port: number): Promise<string> => ((await connect(port, 'admin').call('ROLE')) as [string])[0];

  beforeAll(async () => {
    const data = configMapData(chartObjects({ profile: 'kind', redisMode: 'sentinel' }), 'redis-config');
    dir = await mkdtemp(join(tmpdir(), 'recio-charts-failover-'));
    for (let i = 0; i < 3; i++) ports.redis.push(await getFreePort());
    for (let i = 0; i < 3; i++) ports.sentinel.push(await getFreePort());
    const [master] = ports.redis as [number];
    // What the start scripts write, with this machine's ports for the pods' 6379.
    const conf = (text: string, self: string) =>
      substitute(text, { SELF_HOST: '127.0.0.1', MASTER_HOST: '127.0.0.1' })
        .replace(/^dir \/data$/m, `dir ${join(dir, self)}`)
        .replace(/^replicaof 127\.0\.0\.1 6379$/m, `replicaof 127.0.0.1 ${master}`)
        .replace(/^(sentinel monitor recio 127\.0\.0\.1) 6379 2$/m, `$1 ${master} 2`);
    const start = async (name: string, text: string, port: number, sentinel: boolean) => {
      await mkdir(join(dir, name));
      const file = join(dir, name, sentinel ? 'sentinel.conf' : 'redis.conf');
      await writeFile(file, conf(text, name));
      const args = [file, ...(sentinel ? ['--sentinel'] : []), '--port', String(port), '--bind', '127.0.0.1'];
      procs.set(name, spawn('redis-server', args, { stdio: 'ignore' }));
    };
    for (const [i, port] of ports.redis.entries())
      await start(`redis-${i}`, data[i === 0 ? 'redis-master.conf' : 'redis-replica.conf']!, port, false);
    for (const [i, port] of ports.sentinel.entries()) await start(`sentinel-${i}`, data['sentinel.conf']!, port, true);
    // Replicas in sync through the replication user; each sentinel sees the other two.
    await until(
      'two replicas online',
      async () => {
        const info = await connect(master, 'admin').info('replication');
        return (info.match(/state=online/g) ?? []).length === 2 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    await until(
      'sentinels to know each other',
      async () => {
        const flat = (await connect(ports.sentinel[0]!).call('SENTINEL', 'MASTER', 'recio')) as string[];
        const m = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
        return m['num-other-sentinels'] === '2' && m['num-slaves'] === '2' ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }, 60_000);

  afterAll(async () => {
    clients.closeAll();
    for (const p of procs.values()) p.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('promotes a replica when the master is killed, and every sentinel agrees on it', async () => {
    const [oldMaster] = ports.redis as [number];
    await connect(oldMaster, 'admin').set('probe:failover', 'written before');
    await until('the write on both replicas', async () => {
      const values = await Promise.all(ports.redis.slice(1).map((p) => connect(p, 'admin').get('probe:failover')));
      return values.every((v) => v === 'written before') ? true : undefined;
    });
    procs.get('redis-0')!.kill('SIGKILL');
    // down-after-milliseconds 5000, then the election and the promotion
    const promoted = await until(
      'a new master',
      async () => {
        const p = await masterPort(ports.sentinel[0]!);
        return p !== undefined && p !== oldMaster ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(ports.redis.slice(1)).toContain(promoted);
    await until(
      'the promoted replica to be master',
      async () => ((await role(promoted)) === 'master' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    for (const s of ports.sentinel)
      await until(`sentinel ${s} to agree`, async () => ((await masterPort(s)) === promoted ? true : undefined), {
        timeoutMs: 30_000,
      });
    // the other replica follows the new master (reconfigured by the sentinels' ACL user)
    const other = ports.redis.find((p) => p !== oldMaster && p !== promoted)!;
    await until(
      'the other replica to follow',
      async () => {
        const info = await connect(other, 'admin').info('replication');
        return info.includes(`master_port:${promoted}`) && info.includes('master_link_status:up') ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    // the data survived
    expect(await connect(promoted, 'admin').get('probe:failover')).toBe('written before');
  }, 120_000);

  it('carries events for a service through the sentinels to the new master, as its ACL user', async () => {
    const db = await createTestDatabase({ redisUrl: null });
    const service = await testRouter(db.url, {
      redis: {
        sentinels: ports.sentinel.map((port) => ({ host: '127.0.0.1', port })),
        name: 'recio',
        username: 'trade-manager',
        password: passwords['trade-manager']!,
      },
    });
    const seen: number[] = [];
    const consumer = await service.consume({
      group: 'acl-check',
      consumer: 'trade-manager-0',
      channels: ['trades:*'],
      handler: async (e: RecioEvent) => void seen.push(e.seq),
    });
    try {
      for (const n of [1, 2]) await service.publish('trades:user_0002', 'trade.opened', { n });
      await expect.poll(() => seen, { timeout: 20_000 }).toEqual([1, 2]);
      // On the master as a sentinel names it now. Under load the publish's own append can miss (the
      // client still settling after the failover): the relay's convergence, run here as the same ACL
      // user through the same sentinels, must then bring the stream there.
      await expect
        .poll(
          async () => {
            const master = await masterPort(ports.sentinel[1]!);
            if (master === undefined) return -1;
            const last = await connect(master, 'admin').xlen(streamKey('trades:user_0002'));
            if (last < 2) await service.propagator.converge('trades:user_0002', 2, last).catch(() => undefined);
            return last;
          },
          { timeout: 20_000 },
        )
        .toBe(2);
    } finally {
      await consumer.close();
      await service.close();
      await db.drop();
    }
  }, 60_000);
});
