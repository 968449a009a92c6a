import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from '../../test/fake-api-server.js';
import { capturingLogger } from '../../test/log-capture.js';
import { EventRecorder, REPORTING_CONTROLLER, type EventToRecord } from './event-recorder.js';

// Against the fake API server (test/fake-api-server.ts), which validates new-style Events as the
// API server does: a field it would refuse fails these tests.
const NS = 'recio';
const event: EventToRecord = {
  regarding: {
    apiVersion: 'recio.dev/v1alpha1',
    kind: 'EventConsumer',
    name: 'trade-manager',
    namespace: NS,
    uid: 'u-1',
  },
  type: 'Warning',
  reason: 'ConsumerGroupStalled',
  action: 'Evaluate',
  note: 'consumer group trade-manager: STALLED (lag 12)',
};

describe('EventRecorder', () => {
  let server: FakeApiServer;
  let log: ReturnType<typeof capturingLogger>;
  let recorder: EventRecorder;
  beforeEach(async () => {
    server = await FakeApiServer.start();
    log = capturingLogger();
    recorder = new EventRecorder({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      instance: 'health-controller-6f7d-x2',
      logger: log.logger,
    });
  });
  afterEach(async () => {
    server.intercept(undefined);
    await server.close();
  });

  it('records an events.k8s.io/v1 Event the API server accepts, as recio.dev/health-controller', async () => {
    expect(await recorder.record(event)).toBe(true);
    const [stored] = server.events(NS);
    expect(stored).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: 'health-controller-6f7d-x2',
      regarding: event.regarding,
      type: 'Warning',
      reason: 'ConsumerGroupStalled',
      action: 'Evaluate',
      note: event.note,
    });
    expect(stored!.metadata.name).toMatch(/^trade-manager\.[0-9a-f]+$/);
  });

  it('gives two Events of one object in one millisecond distinct names, and cuts a long note to 1 kB', async () => {
    const results = await Promise.all([recorder.record(event), recorder.record({ ...event, note: 'é'.repeat(2_000) })]);
    expect(results).toEqual([true, true]);
    const stored = server.events(NS);
    expect(new Set(stored.map((e) => e.metadata.name)).size).toBe(2);
    const long = stored.find((e) => (e.note as string).startsWith('é'))!;
    expect(Buffer.byteLength(long.note as string)).toBeLessThanOrEqual(1024);
  });

  it('logs an Event the API server refused and carries on (false, never a throw)', async () => {
    server.intercept(() => ({ code: 500, reason: 'InternalError' }));
    expect(await recorder.record(event)).toBe(false);
    expect(
      log.lines.some((l) => l.msg === 'Kubernetes Event not recorded' && l.reason === 'ConsumerGroupStalled'),
    ).toBe(true);
  });
});
