/** A member the controller decided to restart: the pod (consumer) and the deployment (service) that runs it. */
export interface RestartTarget {
  group: string;
  consumer: string;
  deployment: string;
}

/**
 * What a restart did: `restarted`, or `gone` when there was nothing left to restart (the pod was
 * already gone, being deleted, or replaced by a new one since the member stopped).
 */
export type RestartOutcome = 'restarted' | 'gone';

/** How a stopped member is restarted where the platform runs. */
export interface Restarter {
  /** Where restarts go, for the logs (`local supervisor at http://…`, `Kubernetes namespace recio`). */
  readonly describe: string;
  /** Restarts it; throws when the restart was not accepted. */
  restart(target: RestartTarget): Promise<RestartOutcome>;
}

/**
 * `make dev`'s supervisor (stack/): `POST /processes/<service>/restart` on its control API, which
 * stops the process (SIGTERM, then SIGKILL after its deadline: a SIGSTOPped process gets the latter)
 * and starts it again. Locally each service runs one process, so the deployment names it.
 */
export class LocalRestarter implements Restarter {
  readonly describe: string;
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(controlUrl: string, timeoutMs = 30_000) {
    this.#url = controlUrl.replace(/\/$/, '');
    this.#timeoutMs = timeoutMs;
    this.describe = `local supervisor at ${this.#url}`;
  }

  async restart(target: RestartTarget): Promise<RestartOutcome> {
    const res = await fetch(`${this.#url}/processes/${encodeURIComponent(target.deployment)}/restart`, {
      method: 'POST',
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!res.ok)
      throw new Error(`supervisor refused the restart of ${target.deployment}: ${res.status} ${await res.text()}`);
    return 'restarted';
  }
}

/**
 * The guards of ARCHITECTURE "Health controller" in front of every restart: not during the
 * controller's start-up grace (its first samples may describe a platform still starting), at most
 * one restart per pod per `perPodMs`, and one at a time per deployment (a second pod of it waits
 * `settleMs` after the first was restarted). Redis health is the caller's guard: it acts only on a
 * sample taken while Redis answered, right after another that did.
 */
export class RestartGuard {
  readonly #o: { startupGraceMs: number; perPodMs: number; settleMs: number };
  /** When this replica last started leading: the grace counts from there. */
  #since = Number.NEGATIVE_INFINITY;
  readonly #lastByPod = new Map<string, number>();
  readonly #lastByDeployment = new Map<string, number>();

  constructor(options: { startupGraceMs: number; perPodMs: number; settleMs: number }) {
    this.#o = options;
  }

  /**
   * This replica starts leading at `now`: no restart in its grace from here. Its samples may describe
   * a platform still starting, or pods its predecessor restarted a moment ago (whose guards were that
   * replica's): a grace at least `settleMs` keeps one restart at a time per deployment across a failover.
   */
  lead(now: number): void {
    this.#since = now;
  }

  /** Null when `target` may be restarted now, else why not. */
  refusal(target: RestartTarget, now: number): string | null {
    if (now - this.#since < this.#o.startupGraceMs) return 'STARTUP_GRACE';
    const pod = this.#lastByPod.get(target.consumer);
    if (pod !== undefined && now - pod < this.#o.perPodMs) return 'POD_RESTARTED_RECENTLY';
    const deployment = this.#lastByDeployment.get(target.deployment);
    if (deployment !== undefined && now - deployment < this.#o.settleMs) return 'DEPLOYMENT_RESTARTING';
    return null;
  }

  /** Records a restart made at `now`. */
  record(target: RestartTarget, now: number): void {
    this.#lastByPod.set(target.consumer, now);
    this.#lastByDeployment.set(target.deployment, now);
  }
}
