import { HEALTH_CHANNEL } from '@recio/contract';
import { GATEWAY_CLOSE, NOTICE_WITHHELD, ServerFrame } from '@recio/platform';
import { startService, type RunningService } from '@recio/service-kit';
import {
  createTestDatabase,
  startPrivateRedis,
  testRouter,
  uniqueName,
  until,
  type TestDatabase,
} from '@recio/test-support';
import { streamKey, type EventRouter } from '@recio/router';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tokenDigest } from './api-tokens.js';
import { loadConfig, type MainAppConfig } from './config.js';
import { startMainApp } from './main-app.js';

// The gateway against a real main-app, Redis and PostgreSQL: events published by another router
// reach sockets live, what a socket missed is replayed (from Redis, or from PostgreSQL when the
// stream no longer has it), each event once and in order; bad frames are answered and survived; a
// slow socket is closed with RESYNC while the others get everything.

type Frame = ServerFrame;

/** A test client: every frame it received, parsed with the protocol's schema, and how it closed. */
class Client {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(ServerFrame.parse(JSON.parse((data as Buffer).toString('utf8')))));
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  events(channel: string): Extract<Frame, { op: 'event' }>[] {
    return this.frames.filter((f): f is Extract<Frame, { op: 'event' }> => f.op === 'event' && f.channel === channel);
  }
  /** The first frame after index `from` that `match` accepts. */
  next(what: string, match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    return until(what, () => this.frames.slice(from).find(match));
  }
}

describe('the WebSocket gateway', () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let publisher: EventRouter;
  let app: RunningService<MainAppConfig>;
  let pinging: RunningService<MainAppConfig>;
  let baseEnv: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'gateway-int-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const alice = uniqueName('user_');
  const bob = uniqueName('user_');
  const ops = uniqueName('ops_');
  const token = Object.fromEntries([alice, bob, ops].map((u) => [u, randomBytes(32).toString('hex')]));
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    db = await createTestDatabase({ redisUrl: null });
    publisher = await testRouter(db.url, { redis: { url: redis.url } });
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(
      tokensFile,
      JSON.stringify(
        [alice, bob, ops].map((u) => ({
          user_id: u,
          token_sha256: tokenDigest(token[u]!),
          ...(u === ops ? { admin: true } : {}),
        })),
      ),
    );
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      POD_NAME: 'main-app-0',
      API_TOKENS_FILE: tokensFile,
      // A small queue and high-water mark, so a paused socket overflows after a few large events.
      WS_QUEUE_MAX: '4',
      WS_HIGH_WATER_BYTES: '65536',
      REPLAYS_PER_MINUTE: '50',
    };
    baseEnv = env;
    app = await startService({ config: { ...loadConfig(env), port: 0 }, logger, start: startMainApp });
    // Its own app for the heartbeat: a socket paused to fill its queue answers no ping either.
    pinging = await startService({
      config: { ...loadConfig({ ...env, WS_HEARTBEAT_MS: '300', POD_NAME: 'main-app-1' }), port: 0 },
      logger,
      start: startMainApp,
    });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await app?.close();
    await pinging?.close();
    await publisher?.close();
    await db?.drop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const wsUrl = (to = app) => `${to.url.replace('http', 'ws')}/ws`;
  const connect = async (user: string, to = app): Promise<Client> => {
    const ws = new WebSocket(wsUrl(to), { headers: { authorization: `Bearer ${token[user]}` } });
    const client = new Client(ws);
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  };
  /** The HTTP answer to an upgrade the gateway refuses: its status and error code. */
  const refusal = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; code: string }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('error', () => undefined); // the refusal itself
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { error: { code: string } }).error.code }),
        );
      });
    });
  const subscribed = (client: Client, channel: string, from = 0) =>
    client.next(
      `subscribed to ${channel}`,
      (f) => (f.op === 'subscribed' || f.op === 'error') && f.channel === channel,
      from,
    );
  // Prices and markets are latest-value channels (Redis only, the version is the seq): numbered here.
  let version = 0;
  const publishOne = async (channel: string, data: unknown) =>
    channel.startsWith('prices:') || channel.startsWith('markets:')
      ? (await publisher.publishLatest(channel, 'test.event', data, ++version)).event
      : publisher.publish(channel, 'test.event', data);
  const publish = async (channel: string, n: number, data: (i: number) => unknown = (i) => ({ i })) => {
    for (let i = 0; i < n; i++) await publishOne(channel, data(i));
  };

  /** A metric's value as main-app counts it (summed over the series matching `labels`). */
  const metric = async (name: string, labels: Record<string, string> = {}, of = app) =>
    (await of.context.registry.getSingleMetric(name)!.get()).values
      .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
      .reduce((sum, v) => sum + v.value, 0);
  const connections = (of: RunningService<MainAppConfig>) => metric('recio_ws_connections', {}, of);

  it('refuses an upgrade without a valid token, with a stable code', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      expect(await refusal(wsUrl(), headers)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
    const wrongPath = `${app.url.replace('http', 'ws')}/nope`;
    expect(await refusal(wrongPath, { authorization: `Bearer ${token[alice]}` })).toMatchObject({ status: 404 });
  });

  it('replays what a socket missed, then streams live, each event once and in order', async () => {
    const channel = `trades:${alice}`;
    await publish(channel, 5);
    const client = await connect(alice);
    client.send({ op: 'subscribe', channel, since: 2, id: 'a' });
    expect(await subscribed(client, channel)).toEqual({ op: 'subscribed', channel, seq: 5, id: 'a' });
    expect(client.events(channel).map((e) => e.seq)).toEqual([3, 4, 5]);
    await publish(channel, 3);
    await until('live events', () => client.events(channel).length === 6);
    const events = client.events(channel);
    expect(events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(events[5]).toMatchObject({ type: 'test.event', data: { i: 2 } });
    expect(new Set(events.map((e) => e.event_id)).size).toBe(6);

    // Subscribing again with the seq it has sends nothing twice; without `since`, live from the head.
    const before = client.frames.length;
    client.send({ op: 'subscribe', channel, since: 8 });
    expect(await subscribed(client, channel, before)).toMatchObject({ seq: 8 });
    client.send({ op: 'unsubscribe', channel, id: 'u' });
    await client.next('unsubscribed', (f) => f.op === 'unsubscribed' && f.id === 'u');
    await publish(channel, 1);
    const again = client.frames.length;
    client.send({ op: 'subscribe', channel });
    // Live from the head the gateway knows: 9, or 8 when seq 9's live message has not reached it yet
    // (then 9 follows live). Either way the client misses nothing after the head it was told.
    const ack = await subscribed(client, channel, again);
    expect(ack).toMatchObject({ op: 'subscribed' });
    const head = (ack as { seq: number }).seq;
    expect([8, 9]).toContain(head);
    await publish(channel, 1);
    await until('seq 10', () => client.events(channel).some((e) => e.seq === 10));
    const afterAck = client.frames
      .slice(again)
      .filter((f) => f.op === 'event')
      .map((f) => (f as { seq: number }).seq);
    expect(afterAck).toEqual(head === 8 ? [9, 10] : [10]);
  });

  it('serves a long-gone client from PostgreSQL when the stream no longer has its events', async () => {
    const channel = `account:${alice}`;
    await publish(channel, 30);
    // As after a long disconnect: the stream was trimmed far past what the client has.
    await publisher.redis.xtrim(streamKey(channel), 'MAXLEN', 5);
    const client = await connect(alice);
    client.send({ op: 'subscribe', channel, since: 0 });
    expect(await subscribed(client, channel)).toMatchObject({ seq: 30 });
    expect(client.events(channel).map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("authorises every subscription: a trader's own and the shared channels, an admin's patterns", async () => {
    const client = await connect(bob);
    for (const [channel, code] of [
      [`trades:${alice}`, 'FORBIDDEN_CHANNEL'],
      ['trades:*', 'FORBIDDEN_CHANNEL'],
      ['nonsense', 'INVALID_CHANNEL'],
    ] as const) {
      const from = client.frames.length;
      client.send({ op: 'subscribe', channel, id: channel });
      expect(await subscribed(client, channel, from)).toMatchObject({ op: 'error', code, id: channel });
    }
    client.send({ op: 'subscribe', channel: 'prices:btc' });
    expect(await subscribed(client, 'prices:btc')).toMatchObject({ op: 'subscribed' });

    const admin = await connect(ops);
    admin.send({ op: 'subscribe', channel: 'trades:*' });
    expect(await subscribed(admin, 'trades:*')).toMatchObject({ op: 'subscribed', seq: null });
    await publish(`trades:${bob}`, 1);
    await admin.next("bob's trade event", (f) => f.op === 'event' && f.channel === `trades:${bob}`);
  });

  it("shows traders their view of system:health: others' notices withheld, gapless", async () => {
    const trader = await connect(bob);
    const admin = await connect(ops);
    for (const c of [trader, admin]) c.send({ op: 'subscribe', channel: HEALTH_CHANNEL });
    await subscribed(trader, HEALTH_CHANNEL);
    await subscribed(admin, HEALTH_CHANNEL);
    const at = Date.now();
    await publisher.publish(HEALTH_CHANNEL, 'health.changed', {
      component: 'settlement',
      userId: alice,
      status: 'down',
      previous: 'up',
      detail: `trade of ${alice} stuck`,
      at,
    });
    await publisher.publish(HEALTH_CHANNEL, 'health.changed', {
      component: 'exchange',
      status: 'down',
      previous: 'up',
      detail: 'exchange unreachable',
      at,
    });
    await until(
      'both health events',
      () => trader.events(HEALTH_CHANNEL).length === 2 && admin.events(HEALTH_CHANNEL).length === 2,
    );
    const seen = trader.events(HEALTH_CHANNEL);
    expect(seen.map((e) => e.type)).toEqual([NOTICE_WITHHELD, 'health.changed']);
    expect(JSON.stringify(seen)).not.toContain(alice);
    expect(seen[1]!.seq).toBe(seen[0]!.seq + 1);
    expect(admin.events(HEALTH_CHANNEL)[0]).toMatchObject({ type: 'health.changed', data: { userId: alice } });
  });

  it('survives generated frames: each answered with a frame of the protocol, the socket kept open', async () => {
    const client = await connect(bob);
    const channels = fc.constantFrom(`trades:${bob}`, `trades:${alice}`, 'prices:btc', 'trades:*', 'x', '', 'a:b*c');
    const frame = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc
        .record(
          {
            op: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'SUBSCRIBE', ''),
            channel: fc.oneof(channels, fc.string({ maxLength: 30 })),
            since: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.constant(null)),
            id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
          },
          { requiredKeys: [] },
        )
        .map((f) => JSON.stringify(f)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        const id = `probe-${n++}`;
        client.send(text);
        client.send({ op: 'ping', id });
        await client.next(`pong ${id}`, (f) => f.op === 'pong' && f.id === id);
        expect(client.closed).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('answers every bad frame with an error code and keeps the socket and the process', async () => {
    const client = await connect(alice);
    const unknownOps = await metric('recio_ws_bad_frames_total', { code: 'UNKNOWN_OP' });
    const tooLarge = await metric('recio_ws_bad_frames_total', { code: 'FRAME_TOO_LARGE' });
    const cases: [unknown, string][] = [
      ['not json', 'BAD_FRAME'],
      [{ op: 'explode' }, 'UNKNOWN_OP'],
      [{ nope: 1 }, 'UNKNOWN_OP'],
      [null, 'UNKNOWN_OP'],
      [{ op: 'subscribe' }, 'BAD_FRAME'],
      [{ op: 'subscribe', channel: `trades:${alice}`, since: -1 }, 'BAD_FRAME'],
      [{ op: 'subscribe', channel: `trades:${alice}`, since: 'x' }, 'BAD_FRAME'],
      [{ op: 'unsubscribe', channel: 'prices:btc' }, 'NOT_SUBSCRIBED'],
      [JSON.stringify({ op: 'ping', pad: 'x'.repeat(5_000) }), 'FRAME_TOO_LARGE'],
    ];
    for (const [frame, code] of cases) {
      const from = client.frames.length;
      client.send(frame === null ? 'null' : frame);
      expect(await client.next(`error ${code}`, (f) => f.op === 'error', from)).toMatchObject({ code });
    }
    const from = client.frames.length;
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next('binary refused', (f) => f.op === 'error', from)).toMatchObject({ code: 'BAD_FRAME' });
    client.send({ op: 'ping', id: 'still here' });
    await client.next('pong', (f) => f.op === 'pong' && f.id === 'still here');
    expect(client.closed).toBeUndefined();
    expect(await metric('recio_ws_bad_frames_total', { code: 'UNKNOWN_OP' })).toBe(unknownOps + 3);
    expect(await metric('recio_ws_bad_frames_total', { code: 'FRAME_TOO_LARGE' })).toBe(tooLarge + 1);
  });

  it('closes a socket whose frame is too large to read at all (1009) and keeps serving the others', async () => {
    const client = await connect(alice);
    // Above ws's maxPayload (64 KiB, main-app.ts): not read, so not answered with FRAME_TOO_LARGE.
    client.ws.send('x'.repeat(64 * 1024 + 1));
    await until('the socket closed', () => client.closed);
    expect(client.closed?.code).toBe(1009);
    const other = await connect(alice);
    other.send({ op: 'ping', id: 'after a frame too large' });
    await other.next('pong', (f) => f.op === 'pong' && f.id === 'after a frame too large');
  });

  const big = 'x'.repeat(100_000);

  it("sends a new page the newest price from the hub's memory, reading no history", async () => {
    const watcher = await connect(bob);
    watcher.send({ op: 'subscribe', channel: 'markets:btc' });
    await subscribed(watcher, 'markets:btc');
    await publish('markets:btc', 3);
    await until('the hub has the newest table', () => watcher.events('markets:btc').length === 3);
    const newest = watcher.events('markets:btc').at(-1)!;
    const resyncs = await metric('recio_ws_resyncs_total', { class: 'markets' });
    const page = await connect(alice);
    page.send({ op: 'subscribe', channel: 'markets:btc', since: 0 });
    expect(await subscribed(page, 'markets:btc')).toMatchObject({ seq: newest.seq });
    expect(page.events('markets:btc')).toEqual([newest]);
    expect(await metric('recio_ws_resyncs_total', { class: 'markets' })).toBe(resyncs);
  });

  it('keeps only the latest price for a slow socket, never closing it for prices', async () => {
    const slow = await connect(bob);
    const fast = await connect(bob);
    for (const c of [slow, fast]) {
      c.send({ op: 'subscribe', channel: 'prices:btc' });
      await subscribed(c, 'prices:btc');
    }
    const first = (await publishOne('prices:btc', { i: -1 })).seq;
    await until(
      'the first price on both',
      () => slow.events('prices:btc').length === 1 && fast.events('prices:btc').length === 1,
    );
    slow.ws.pause(); // reads nothing: the kernel's buffers fill, then ws's, then the gateway's queue
    await publish('prices:btc', 200, (i) => ({ i, big }));
    await until('the fast socket has every price', () => fast.events('prices:btc').length === 201, {
      timeoutMs: 60_000,
    });
    slow.ws.resume();
    await until('the slow socket has the latest price', () => slow.events('prices:btc').at(-1)?.seq === first + 200);
    expect(slow.events('prices:btc').length).toBeLessThan(201);
    expect(slow.closed).toBeUndefined();
    expect(await metric('recio_ws_coalesced_total', { class: 'prices' })).toBeGreaterThan(0);
  });

  it('closes a slow socket with RESYNC on a channel that is not coalesced, without slowing the others', async () => {
    const channel = `positions:${alice}`;
    const slow = await connect(alice);
    const fast = await connect(alice);
    for (const c of [slow, fast]) {
      c.send({ op: 'subscribe', channel });
      await subscribed(c, channel);
    }
    slow.ws.pause();
    await publish(channel, 200, (i) => ({ i, big }));
    await until('the fast socket has every event', () => fast.events(channel).length === 200, { timeoutMs: 60_000 });
    expect(fast.events(channel).map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    slow.ws.resume();
    await until('the slow socket closed', () => slow.closed);
    expect(slow.closed).toEqual({ code: GATEWAY_CLOSE.RESYNC, reason: 'resync: too far behind' });
    expect(slow.events(channel).length).toBeLessThan(200);
    expect(fast.closed).toBeUndefined();
    expect(await metric('recio_ws_slow_client_drops_total')).toBe(1);
  });

  it('serves sockets on every replica: each gets every event from Redis, nothing shared but the servers', async () => {
    const channel = `settings:${alice}`;
    const one = await connect(alice);
    const two = await connect(alice, pinging);
    for (const c of [one, two]) {
      c.send({ op: 'subscribe', channel, since: 0 });
      await subscribed(c, channel);
    }
    await publish(channel, 4);
    await until('both replicas delivered', () => one.events(channel).length === 4 && two.events(channel).length === 4);
    expect(two.events(channel).map((e) => e.event_id)).toEqual(one.events(channel).map((e) => e.event_id));
  });

  it("refuses a user's socket past WS_SOCKETS_PER_USER with 429 TOO_MANY_SOCKETS, and takes one again once another closed", async () => {
    const capped = await startService({
      config: { ...loadConfig({ ...baseEnv, WS_SOCKETS_PER_USER: '2', POD_NAME: 'main-app-2' }), port: 0 },
      logger,
      start: startMainApp,
    });
    try {
      const [one] = [await connect(alice, capped), await connect(alice, capped)];
      const bearer = (user: string) => ({ authorization: `Bearer ${token[user]}` });
      expect(await refusal(wsUrl(capped), bearer(alice))).toEqual({ status: 429, code: 'TOO_MANY_SOCKETS' });
      // Another user is not counted against it.
      await connect(bob, capped);
      one.ws.close();
      await expect.poll(() => connections(capped)).toBe(2);
      await connect(alice, capped);
    } finally {
      await capped.close();
    }
  });

  it('closes a socket that stops answering pings', async () => {
    const quiet = await connect(bob, pinging);
    const client = await connect(bob, pinging);
    const open = await connections(pinging);
    client.ws.pause(); // a paused client reads nothing, so it answers no ping
    await until('the silent socket dropped', async () => (await connections(pinging)) === open - 1);
    expect(quiet.closed).toBeUndefined();
    client.ws.resume();
    await until('the client sees it closed', () => client.closed);
  });

  it('lets a subscription the client dropped or replaced while its history was on its way send, count and drop nothing', async () => {
    // Each subscription below is followed at once by an unsubscribe or a second subscribe of the same
    // channel: the first is still waiting for the channel's head or its replay budget (Redis) when the
    // second frame arrives.
    const dropped = `positions:${bob}`;
    const replaced = `account:${bob}`;
    await publish(dropped, 3);
    await publish(replaced, 3);
    const client = await connect(bob);
    const resyncs = () => metric('recio_ws_resyncs_total', { class: 'positions' });
    const accountResyncs = () => metric('recio_ws_resyncs_total', { class: 'account' });
    const before = { positions: await resyncs(), account: await accountResyncs() };

    client.send({ op: 'subscribe', channel: dropped, since: 0, id: 'd1' });
    client.send({ op: 'unsubscribe', channel: dropped, id: 'd2' });
    client.send({ op: 'subscribe', channel: replaced, since: 0, id: 'r1' });
    client.send({ op: 'subscribe', channel: replaced, since: 1, id: 'r2' });
    // Then a subscription of its own after both, whose answer comes once they have been served.
    client.send({ op: 'subscribe', channel: dropped, since: 2, id: 'd3' });
    await client.next('d3', (f) => f.op === 'subscribed' && f.id === 'd3');
    await client.next('r2', (f) => f.op === 'subscribed' && f.id === 'r2');

    const ofChannel = (channel: string) =>
      client.frames
        .filter((f) => 'channel' in f && f.channel === channel)
        .map((f) => (f.op === 'event' ? `event ${f.seq}` : `${f.op} ${'id' in f ? f.id : ''}`));
    // Dropped: only its unsubscribe, then the third subscription's own history (seq 3) and answer.
    expect(ofChannel(dropped)).toEqual(['unsubscribed d2', 'event 3', 'subscribed d3']);
    // Replaced: only the second subscription's history (from seq 2) and answer.
    expect(ofChannel(replaced)).toEqual(['event 2', 'event 3', 'subscribed r2']);
    // One resync each: the first subscriptions counted none.
    expect(await resyncs()).toBe(before.positions + 1);
    expect(await accountResyncs()).toBe(before.account + 1);
    // Both channels stay live for the subscriptions that are the client's.
    await publish(dropped, 1);
    await publish(replaced, 1);
    await until('live on both', () => client.events(dropped).length === 2 && client.events(replaced).length === 3);
  });
});
