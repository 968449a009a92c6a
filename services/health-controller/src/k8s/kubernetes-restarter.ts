import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { COMPONENT_LABEL } from '@recio/platform';
import type { Logger } from 'pino';
import type { RestartOutcome, Restarter, RestartTarget } from '../restarter.js';
import { API_STATUS, apiStatus, deadline, DNS_SUBDOMAIN, KubernetesActionError } from './api.js';

/** The label a Deployment's pods carry with its name (the charts' selector label). */
export const DEPLOYMENT_LABEL = COMPONENT_LABEL;

/** Options of a {@link KubernetesRestarter}. */
export interface KubernetesRestarterOptions {
  kubeConfig: KubeConfig;
  /** The controller's namespace: the only one it may delete pods in. */
  namespace: string;
  logger: Logger;
  /** Deadline of each API call. @defaultValue 5000 */
  requestTimeoutMs?: number;
  /**
   * Asked before each API call: false once this replica may no longer act (its Lease). With each
   * call's deadline within the Lease's margin, no call lands after another replica took over.
   * @defaultValue always true
   */
  mayAct?: () => boolean;
}

/**
 * Restarts a stopped member by deleting its pod; the Deployment's ReplicaSet starts another. A
 * member's consumer name is its pod's name (POD_NAME, from the downward API's metadata.name:
 * ARCHITECTURE invariant 8). The pod is read first and deleted only if it carries the target
 * Deployment's label, with its uid as a precondition, so a name that matches some other pod, or
 * a pod replaced in between, is never deleted. A pod already gone (404) or being deleted is the
 * restart done by someone else: logged, not a failure.
 */
export class KubernetesRestarter implements Restarter {
  readonly describe: string;
  readonly #o: Required<KubernetesRestarterOptions>;
  readonly #api: CoreV1Api;

  constructor(options: KubernetesRestarterOptions) {
    this.#o = { requestTimeoutMs: 5_000, mayAct: () => true, ...options };
    this.#api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.describe = `Kubernetes: delete the member's pod in namespace ${options.namespace}`;
  }

  async restart(target: RestartTarget): Promise<RestartOutcome> {
    const name = target.consumer;
    if (!DNS_SUBDOMAIN.test(name))
      throw new KubernetesActionError('INVALID_POD_NAME', `member ${JSON.stringify(name)} is not a pod name`);
    const namespace = this.#o.namespace;
    const options = deadline(this.#o.requestTimeoutMs);
    const log = this.#o.logger.child({ ...target, pod: name, namespace });
    let uid: string | undefined;
    const mayAct = () => {
      if (!this.#o.mayAct()) throw new KubernetesActionError('NOT_LEADING', 'no longer leading: nothing deleted');
    };
    try {
      mayAct();
      const pod = await this.#api.readNamespacedPod({ name, namespace }, options);
      const owner = pod.metadata?.labels?.[DEPLOYMENT_LABEL];
      if (owner !== target.deployment)
        throw new KubernetesActionError(
          'POD_NOT_OF_DEPLOYMENT',
          `pod ${name} belongs to ${owner === undefined ? 'no deployment' : JSON.stringify(owner)}, not ${target.deployment} (label ${DEPLOYMENT_LABEL}): not deleted`,
        );
      if (pod.metadata?.deletionTimestamp) {
        log.info('pod already being deleted: nothing to do');
        return 'gone';
      }
      uid = pod.metadata?.uid;
      mayAct();
      await this.#api.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } }, options);
      log.info({ uid }, 'pod deleted');
      return 'restarted';
    } catch (err) {
      const code = apiStatus(err);
      if (code === API_STATUS.NOT_FOUND) {
        log.info('pod already gone: nothing to delete');
        return 'gone';
      }
      // Only the uid precondition can conflict on a delete: the pod of that name is a new one.
      if (code === API_STATUS.CONFLICT && uid !== undefined) {
        log.info({ uid }, 'pod replaced since it was read: not deleted');
        return 'gone';
      }
      throw err;
    }
  }
}
