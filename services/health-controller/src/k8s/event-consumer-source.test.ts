import { until } from '@recio/test-support';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shippedEventConsumers } from '../../test/chart-manifests.js';
import { FakeApiServer } from '../../test/fake-api-server.js';
import { EventConsumerSource } from './event-consumer-source.js';

// The EventConsumers list and watch against the fake API server (test/fake-api-server.ts: no API
// server can run here), seeded with the EventConsumers the charts ship.
const NS = 'recio';
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const eventConsumer = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'recio.dev/v1alpha1',
  kind: 'EventConsumer',
  metadata: { name, namespace: NS },
  spec: {
    group: name,
    channels: ['trades:*'],
    deployment: name,
    maxLagSeconds: 5,
    maxPending: 1000,
    stallWindowSeconds: 30,
    ...spec,
  },
});

describe('EventConsumerSource', () => {
  let server: FakeApiServer;
  let source: EventConsumerSource;
  const shipped = shippedEventConsumers();
  beforeEach(async () => {
    server = await FakeApiServer.start();
    for (const o of shipped) server.apply(o as Parameters<FakeApiServer['apply']>[0]);
    source = new EventConsumerSource({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger,
      retry: { baseMs: 50, maxMs: 200 },
    });
  });
  afterEach(async () => {
    await source.close();
    server.intercept(undefined);
    server.resumeWatches();
    await server.close();
  });
  const names = () => source.groups().map((g) => g.name);
  const requests = (verb: string) => server.requests.filter((r) => r.resource === 'eventconsumers' && r.verb === verb);

  it('lists the namespace, then watches from the list with bookmarks; every EventConsumer the charts ship is accepted', async () => {
    await source.start();
    expect(shipped.length).toBeGreaterThan(0);
    expect([...names()].sort()).toEqual(shipped.map((o) => (o.spec as { group: string }).group).sort());
    expect(source.rejected()).toEqual([]);
    const [list] = requests('list');
    await until('watching', () => requests('watch').length > 0);
    const watch = requests('watch')[0]!;
    expect(watch.query.get('resourceVersion')).toBe(source.resourceVersion());
    expect(watch.query.get('allowWatchBookmarks')).toBe('true');
    expect(list).toBeDefined();
  });

  it('follows EventConsumers added, changed and deleted while it watches, without listing again', async () => {
    await source.start();
    server.apply(eventConsumer('late-group'));
    await until('added', () => names().includes('late-group'));
    server.apply(eventConsumer('late-group', { maxPending: 7 }));
    await until('changed', () => source.groups().find((g) => g.name === 'late-group')?.maxPending === 7);
    server.remove('EventConsumer', NS, 'late-group');
    await until('deleted', () => !names().includes('late-group'));
    expect(requests('list')).toHaveLength(1);
  });

  it('sets aside each EventConsumer whose spec it refuses, with the problems, and keeps the others', async () => {
    // Stored before the CRD checked a Deployment's name: the API server does not check it again.
    server.apply(eventConsumer('bad-deployment', { deployment: 'Trade_Manager' }), { storedUnderOlderSchema: true });
    server.apply(eventConsumer('bad-class', { channels: ['trade-x:1'] }));
    server.apply(eventConsumer('unknown-class', { channels: ['widgets:*'] }));
    server.apply(eventConsumer('z-duplicate', { group: 'trade-manager' }));
    // Stored before the CRD said stallWindowSeconds >= 5: the API server does not check it again.
    server.apply(eventConsumer('old-window', { stallWindowSeconds: 1 }), { storedUnderOlderSchema: true });
    await source.start();
    const problems = Object.fromEntries(source.rejected().map((r) => [r.object.metadata.name, r.problems.join('; ')]));
    expect(Object.keys(problems).sort()).toEqual([
      'bad-class',
      'bad-deployment',
      'old-window',
      'unknown-class',
      'z-duplicate',
    ]);
    expect(problems['bad-deployment']).toMatch(/^spec\.deployment: expected a Deployment name/);
    expect(problems['bad-class']).toMatch(/^spec\.channels\[0\]: not a channel or pattern/);
    expect(problems['unknown-class']).toMatch(/^spec\.channels\[0\]: unknown channel class "widgets"/);
    expect(problems['z-duplicate']).toBe(
      'spec.group: trade-manager is already declared by EventConsumer trade-manager',
    );
    expect(problems['old-window']).toMatch(/^spec\.stallWindowSeconds: /);
    expect([...names()].sort()).toEqual(shipped.map((o) => (o.spec as { group: string }).group).sort());
    // Fixed, it is controlled.
    server.apply(eventConsumer('bad-deployment', { deployment: 'trade-manager' }));
    await until('accepted once fixed', () => names().includes('bad-deployment'));
  });

  it('lists again after a watch refused with 410 Gone, and picks up what was added while it was away', async () => {
    await source.start();
    await until('watching', () => requests('watch').length === 1);
    server.pauseWatches();
    server.closeWatches();
    server.apply(eventConsumer('added-while-away'));
    server.compact();
    server.resumeWatches();
    await until('picked up', () => names().includes('added-while-away'));
    expect(requests('list')).toHaveLength(2);
    expect(requests('watch').length).toBeGreaterThanOrEqual(2);
  });

  it('resumes from the resourceVersion of a bookmark: no 410 and no list after a compaction', async () => {
    await source.start();
    await until('watching', () => requests('watch').length === 1);
    const listed = source.resourceVersion();
    // Other objects move the revision; the quiet collection's watch learns it from a bookmark.
    server.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: NS } });
    const revision = String(server.store.revision);
    expect(revision).not.toBe(listed);
    server.bookmark();
    await until('bookmark seen', () => source.resourceVersion() === revision, { timeoutMs: 3_000 });
    server.compact();
    server.closeWatches();
    await until('watching again', () => requests('watch').length === 2);
    expect(requests('watch')[1]!.query.get('resourceVersion')).toBe(revision);
    server.apply(eventConsumer('after-bookmark'));
    await until('picked up', () => names().includes('after-bookmark'));
    expect(requests('list')).toHaveLength(1);
  });

  it('tries a failed list again after a backoff, with no groups meanwhile and no crash', async () => {
    let refusals = 2;
    server.intercept((r) =>
      r.verb === 'list' && refusals-- > 0 ? { code: 503, reason: 'ServiceUnavailable' } : undefined,
    );
    await source.start();
    expect(names()).toEqual([]);
    await until('listed', () => names().length === shipped.length);
    expect(requests('list').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('stops watching when closed, and does not start again', async () => {
    await source.start();
    await until('watching', () => server.store.watchers.size === 1);
    await source.close();
    await until('watch closed', () => server.store.watchers.size === 0);
    const seen = server.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requests.length).toBe(seen);
  });
});
