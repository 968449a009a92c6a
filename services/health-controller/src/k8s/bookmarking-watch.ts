import { Watch, type KubeConfig } from '@kubernetes/client-node';

/**
 * client-node's Watch, as client-node's ListWatch should use it: it asks for bookmarks
 * (`allowWatchBookmarks`; ListWatch handles BOOKMARK events, moving its resourceVersion, but
 * never asks for them, so a quiet collection's resourceVersion falls behind the server's
 * compaction and every reconnection turns into a 410 and a full list) and for a server-side
 * timeout (a connection that died silently is replaced). And it never rejects: ListWatch calls
 * it from a callback that drops the promise, where a rejection (say, the token file unreadable)
 * would be unhandled and end the process; the error goes to `done` instead, as any other.
 */
export class BookmarkingWatch extends Watch {
  readonly #timeoutSeconds: number;

  constructor(kubeConfig: KubeConfig, timeoutSeconds: number) {
    super(kubeConfig);
    this.#timeoutSeconds = timeoutSeconds;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    try {
      return await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.#timeoutSeconds },
        callback,
        done,
      );
    } catch (err) {
      done(err);
      return new AbortController();
    }
  }
}
