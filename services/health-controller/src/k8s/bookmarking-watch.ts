import { Watch, type KubeConfig } from '@kubernetes/client-node';

/**
 * client-node's Watch, as client-node's ListWatch should use it: it asks for bookmarks
 * (`allowWatchBookmarks`; ListWatch handles BOOKMARK events, moving its resourceVersion, but
 * never asks for them, so a quiet collection's resourceVersion falls behind the server's
 * compaction and every reconnection turns into a 410 and a full list) and for a server-side
 * timeout. A connection that died silently (no FIN ever arrives) would outlive that timeout by TCP
 * keepalive's minutes, so a watch that has heard nothing, not even a bookmark, for the timeout plus
 * {@link SILENCE_GRACE_MS} is aborted here, and ListWatch reconnects. And it never rejects: ListWatch calls
 * it from a callback that drops the promise, where a rejection (say, the token file unreadable)
 * would be unhandled and end the process; the error goes to `done` instead, as any other.
 */
export class BookmarkingWatch extends Watch {
  readonly #timeoutSeconds: number;
  readonly #graceMs: number;

  constructor(kubeConfig: KubeConfig, timeoutSeconds: number, graceMs = SILENCE_GRACE_MS) {
    super(kubeConfig);
    this.#timeoutSeconds = timeoutSeconds;
    this.#graceMs = graceMs;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const limitMs = this.#timeoutSeconds * 1000 + this.#graceMs;
    let silence: NodeJS.Timeout | undefined;
    let controller: AbortController | undefined;
    // Aborting ends the response, which calls `done` as a closed connection does.
    const listen = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller?.abort(), limitMs);
      silence.unref();
    };
    try {
      controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.#timeoutSeconds },
        (phase, apiObj, watchObj) => {
          listen();
          callback(phase, apiObj, watchObj);
        },
        (err) => {
          clearTimeout(silence);
          done(err);
        },
      );
      if (!controller.signal.aborted) listen();
      return controller;
    } catch (err) {
      clearTimeout(silence);
      done(err);
      return new AbortController();
    }
  }
}

/** How long past its server-side timeout a silent watch is given before it is taken for dead. */
export const SILENCE_GRACE_MS = 30_000;
