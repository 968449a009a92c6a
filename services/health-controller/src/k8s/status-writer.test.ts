import { until } from '@recio/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shippedEventConsumers } from '../../test/chart-manifests.js';
import { FakeApiServer } from '../../test/fake-api-server.js';
import { capturingLogger } from '../../test/log-capture.js';
import type { EventConsumerStatus } from './event-consumer.js';
import { EventConsumerSource } from './event-consumer-source.js';
import { StatusWriter } from './status-writer.js';

// Against the fake API server (test/fake-api-server.ts), which enforces the shipped CRD's status
// schema and the status subresource's optimistic concurrency; the writer reads what the
// EventConsumers watch (event-consumer-source.ts) keeps.
const NS = 'recio';
const NAME = 'trade-manager';
const status = (lag: number, restarts = 0): EventConsumerStatus => ({
  state: 'OK',
  lag,
  pending: 0,
  lagSeconds: 0,
  observedAt: new Date().toISOString(),
  restarts,
  conditions: [
    { type: 'Ready', status: 'True', reason: 'Healthy', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00.000Z' },
  ],
});

describe('StatusWriter', () => {
  let server: FakeApiServer;
  let source: EventConsumerSource;
  let log: ReturnType<typeof capturingLogger>;
  const writer = (options: { refreshMs?: number; mayAct?: () => boolean } = {}) =>
    new StatusWriter({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger: log.logger,
      read: (name) => source.get(name),
      ...options,
    });
  beforeEach(async () => {
    server = await FakeApiServer.start();
    for (const o of shippedEventConsumers()) server.apply(o as Parameters<FakeApiServer['apply']>[0]);
    log = capturingLogger();
    source = new EventConsumerSource({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger: log.logger,
    });
    await source.start();
  });
  afterEach(async () => {
    await source.close();
    server.intercept(undefined);
    await server.close();
  });
  const puts = () =>
    server.requests.filter(
      (r) => r.identity === 'controller' && r.resource === 'eventconsumers/status' && r.verb === 'update',
    );
  const stored = () => server.object('EventConsumer', NS, NAME)!;
  /** Another client (say, a second controller, with the same Role) writes into the status: read, then PUT. */
  const patchStatus = async (patch: { status: Record<string, unknown> }) => {
    const url = `${server.url}/apis/recio.dev/v1alpha1/namespaces/${NS}/eventconsumers/${NAME}/status`;
    const headers = { authorization: 'Bearer token-other', 'content-type': 'application/json' };
    const current = (await (await fetch(url, { headers })).json()) as { status?: Record<string, unknown> };
    const body = { ...current, status: { ...current.status, ...patch.status } };
    const res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  };

  it('writes through the status subresource with the resourceVersion it read, leaving the spec alone', async () => {
    const before = stored();
    expect(await writer().write(NAME, () => status(3))).toBe('written');
    expect(puts()[0]!.body).toMatchObject({ metadata: { resourceVersion: before.metadata.resourceVersion } });
    const after = stored();
    expect(after.status).toMatchObject({ state: 'OK', lag: 3, restarts: 0 });
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
  });

  it('writes nothing once its replica stops leading', async () => {
    expect(await writer({ mayAct: () => false }).write(NAME, () => status(3))).toBe('failed');
    expect(puts()).toEqual([]);
    expect((stored().status as { lag?: number } | undefined)?.lag).not.toBe(3);
  });

  it('does not write what says nothing new until refreshMs has passed, even before the watch shows its own write', async () => {
    const w = writer({ refreshMs: 60_000 });
    const fixed = status(3);
    expect(await w.write(NAME, () => ({ ...fixed, observedAt: new Date().toISOString() }))).toBe('written');
    // At once (the watch may still hold the version this write replaced), then once it caught up.
    expect(await w.write(NAME, () => ({ ...fixed, observedAt: new Date().toISOString() }))).toBe('unchanged');
    await until(
      'watch caught up',
      () => source.get(NAME)?.metadata.resourceVersion === stored().metadata.resourceVersion,
    );
    expect(await w.write(NAME, () => ({ ...fixed, observedAt: new Date().toISOString() }))).toBe('unchanged');
    expect(puts()).toHaveLength(1);
    expect(await w.write(NAME, () => status(4))).toBe('written');
    const always = writer({ refreshMs: 0 });
    await until(
      'watch caught up',
      () => source.get(NAME)?.metadata.resourceVersion === stored().metadata.resourceVersion,
    );
    expect(await always.write(NAME, () => ({ ...status(4), observedAt: new Date().toISOString() }))).toBe('written');
    expect(puts()).toHaveLength(3);
  });

  it('on a 409 Conflict reads the object again and writes the status computed from the fresh one', async () => {
    // Our write arrives after another client changed the status.
    let first = true;
    server.intercept((r) => {
      if (r.identity !== 'controller' || r.verb !== 'update' || !first) return undefined;
      first = false;
      return { delayMs: 300 };
    });
    const write = writer().write(NAME, (current) => status(1, (current.status?.restarts ?? 0) + 1));
    await until('our write sent', () => !first);
    await patchStatus({ status: { restarts: 5 } });
    expect(await write).toBe('written');
    expect(puts().map((r) => r.status)).toEqual([409, 200]);
    expect(
      server.requests.some(
        (r) => r.identity === 'controller' && r.verb === 'get' && r.resource === 'eventconsumers/status',
      ),
    ).toBe(true);
    // Computed from the fresh object (5 + 1), not from the one first read (0 + 1).
    expect(stored().status).toMatchObject({ restarts: 6, lag: 1 });
  });

  it('gives up after maxAttempts conflicts, logs it, never throws, and writes at the next call', async () => {
    server.intercept((r) => (r.verb === 'update' ? { code: 409, reason: 'Conflict' } : undefined));
    expect(await writer().write(NAME, () => status(2))).toBe('failed');
    expect(puts()).toHaveLength(3);
    expect(log.lines.some((l) => l.msg === 'EventConsumer status not written' && l.eventConsumer === NAME)).toBe(true);
    server.intercept(undefined);
    expect(await writer().write(NAME, () => status(2))).toBe('written');
  });

  it('reports a status the CRD refuses (422) as failed, logged', async () => {
    const invalid = { ...status(1), state: 'UNKNOWN' } as unknown as EventConsumerStatus;
    expect(await writer().write(NAME, () => invalid)).toBe('failed');
    expect(puts().map((r) => r.status)).toEqual([422]);
    expect(stored().status).toBeUndefined();
  });

  it('reports an EventConsumer deleted meanwhile as gone', async () => {
    const w = writer();
    server.intercept((r) => (r.verb === 'update' ? { delayMs: 100 } : undefined));
    const write = w.write(NAME, () => status(1));
    server.remove('EventConsumer', NS, NAME);
    expect(await write).toBe('gone');
    await until('deleted from the watch', () => source.get(NAME) === undefined);
    expect(await w.write(NAME, () => status(1))).toBe('gone');
  });
});
