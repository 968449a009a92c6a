import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { until } from '@recio/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { BookmarkingWatch } from './bookmarking-watch.js';

// A connection that died without a FIN cannot be made on loopback; a server that accepts the watch
// and then never writes nor closes (ignoring the timeout it was asked for) is the same to the client.
describe('BookmarkingWatch', () => {
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    open.push(res);
  });
  afterEach(() => {
    for (const res of open.splice(0)) res.destroy();
  });

  it('asks for bookmarks and a server-side timeout, and gives up on a watch that stays silent past it', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    let url = '';
    server.on('request', (req) => (url = req.url ?? ''));
    let ended: unknown = 'not yet';
    await new BookmarkingWatch(kc, 1, 200).watch(
      '/apis/recio.dev/v1alpha1/namespaces/recio/eventconsumers',
      { resourceVersion: '7' },
      () => undefined,
      (err) => (ended = err),
    );
    expect(url).toMatch(/allowWatchBookmarks=true/);
    expect(url).toMatch(/timeoutSeconds=1/);
    await until('the silent watch ended', () => ended !== 'not yet', { timeoutMs: 10_000 });
    server.close();
  });
});
