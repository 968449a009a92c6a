import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from '../../test/fake-api-server.js';
import { capturingLogger } from '../../test/log-capture.js';
import { DEPLOYMENT_LABEL, KubernetesRestarter } from './kubernetes-restarter.js';

// Against the fake API server (test/fake-api-server.ts: no API server can run here).
const NS = 'recio';
const pod = (name: string, deployment: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { [DEPLOYMENT_LABEL]: deployment } },
});

describe('KubernetesRestarter', () => {
  let server: FakeApiServer;
  let log: ReturnType<typeof capturingLogger>;
  let restarter: KubernetesRestarter;
  beforeEach(async () => {
    server = await FakeApiServer.start();
    log = capturingLogger();
    restarter = new KubernetesRestarter({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger: log.logger,
    });
    for (const [name, deployment] of [
      ['svc-7d9f-a', 'svc'],
      ['svc-7d9f-b', 'svc'],
      ['other-5c4b-a', 'other'],
    ])
      server.apply(pod(name!, deployment!));
  });
  afterEach(async () => {
    await server.close();
  });
  const deletes = () => server.requests.filter((r) => r.verb === 'delete');
  const pods = () => server.store.list('/pods', NS).map((p) => p.metadata.name);

  it("deletes exactly the stopped member's pod (its consumer name), with its uid as a precondition", async () => {
    const uid = server.object('Pod', NS, 'svc-7d9f-a')!.metadata.uid;
    expect(await restarter.restart({ group: 'g', consumer: 'svc-7d9f-a', deployment: 'svc' })).toBe('restarted');
    expect(deletes().map((r) => [r.name, r.status])).toEqual([['svc-7d9f-a', 200]]);
    expect(deletes()[0]!.body).toMatchObject({ preconditions: { uid } });
    expect(pods()).toEqual(['other-5c4b-a', 'svc-7d9f-b']);
  });

  it('sends nothing once its replica stops leading, even between reading the pod and deleting it', async () => {
    let leading = false;
    const guarded = new KubernetesRestarter({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger: log.logger,
      mayAct: () => leading,
    });
    const target = { group: 'g', consumer: 'svc-7d9f-a', deployment: 'svc' };
    await expect(guarded.restart(target)).rejects.toMatchObject({ code: 'NOT_LEADING' });
    expect(server.requests.filter((r) => r.name === 'svc-7d9f-a')).toEqual([]);
    // Leading for the read only: the Lease lapsed while it was under way.
    let asked = 0;
    const lapsing = new KubernetesRestarter({
      kubeConfig: server.kubeConfig('controller'),
      namespace: NS,
      logger: log.logger,
      mayAct: () => ++asked === 1,
    });
    leading = true;
    await expect(lapsing.restart(target)).rejects.toMatchObject({ code: 'NOT_LEADING' });
    expect(deletes()).toEqual([]);
    expect(pods()).toContain('svc-7d9f-a');
  });

  it('takes a pod already gone (404) as gone, and says so in the log', async () => {
    server.remove('Pod', NS, 'svc-7d9f-a');
    expect(await restarter.restart({ group: 'g', consumer: 'svc-7d9f-a', deployment: 'svc' })).toBe('gone');
    expect(deletes()).toEqual([]);
    expect(log.lines.some((l) => l.msg === 'pod already gone: nothing to delete' && l.pod === 'svc-7d9f-a')).toBe(true);
  });

  it('never deletes a pod of another deployment that happens to carry the name', async () => {
    await expect(restarter.restart({ group: 'g', consumer: 'other-5c4b-a', deployment: 'svc' })).rejects.toMatchObject({
      code: 'POD_NOT_OF_DEPLOYMENT',
    });
    expect(deletes()).toEqual([]);
    expect(pods()).toContain('other-5c4b-a');
  });

  it('refuses a member name that cannot be a pod, without asking the API server', async () => {
    await expect(restarter.restart({ group: 'g', consumer: 'svc_Local', deployment: 'svc' })).rejects.toMatchObject({
      code: 'INVALID_POD_NAME',
    });
    expect(server.requests).toEqual([]);
  });

  it('leaves alone a pod replaced between its read and the delete (the uid precondition fails: 409)', async () => {
    server.intercept((r) => (r.verb === 'delete' ? { delayMs: 200 } : undefined));
    const restart = restarter.restart({ group: 'g', consumer: 'svc-7d9f-a', deployment: 'svc' });
    await new Promise((r) => setTimeout(r, 100));
    server.remove('Pod', NS, 'svc-7d9f-a');
    const replacement = server.apply(pod('svc-7d9f-a', 'svc'));
    expect(await restart).toBe('gone');
    expect(deletes().map((r) => r.status)).toEqual([409]);
    expect(server.object('Pod', NS, 'svc-7d9f-a')!.metadata.uid).toBe(replacement.metadata.uid);
    expect(log.lines.some((l) => l.msg === 'pod replaced since it was read: not deleted')).toBe(true);
  });

  it('fails the restart when the API server refuses the delete', async () => {
    server.intercept((r) => (r.verb === 'delete' ? { code: 500, reason: 'InternalError' } : undefined));
    await expect(restarter.restart({ group: 'g', consumer: 'svc-7d9f-a', deployment: 'svc' })).rejects.toMatchObject({
      code: 500,
    });
    expect(pods()).toContain('svc-7d9f-a');
  });
});
