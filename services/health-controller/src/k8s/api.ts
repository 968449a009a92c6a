import {
  ApiException,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { RecioError } from '@recio/router';

/** The API server's answers the controller branches on (the HTTP status of its `Status`). */
export const API_STATUS = {
  /** The object does not exist (a pod already gone, an EventConsumer deleted). */
  NOT_FOUND: 404,
  /** A stale resourceVersion, an object that already exists, or a failed precondition. */
  CONFLICT: 409,
} as const;

/** The HTTP status of a failed API call; undefined when the server never answered (network, deadline). */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/**
 * Options of one API call that give up after `ms`: client-node sets no deadline of its own, and a
 * call that never returns would hold up an evaluation (and a Lease renewal) for good.
 */
export function deadline(ms: number): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** A Kubernetes action the controller refused to take (the message says why). */
export class KubernetesActionError extends RecioError {
  constructor(code: 'INVALID_POD_NAME' | 'POD_NOT_OF_DEPLOYMENT' | 'NOT_LEADING', message: string) {
    super(code, message);
  }
}

/** A DNS-1123 subdomain: what a pod's or a Deployment's name must be. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
