import type { HealthChange } from '@recio/platform';
import type { PlatformRouter } from '@recio/service-kit';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ComponentState } from './health-state.js';

const STATUSES: readonly HealthChange['status'][] = ['up', 'degraded', 'down', 'paused'];

/**
 * Publishes `health.changed` on `system:health` when a component's observed status differs
 * from the last one published (the first observation is published with `previous: null`), and
 * keeps the state gauge current on every observation. The last published status is kept in
 * memory and moves only once its event has committed, so a failed publish is retried by the
 * next observation that still differs.
 */
export class HealthReporter {
  readonly #router: PlatformRouter;
  readonly #logger: Logger;
  readonly #gauge: Gauge<'component' | 'status'>;
  readonly #published = new Map<string, HealthChange['status']>();

  constructor(router: PlatformRouter, logger: Logger, registry: Registry) {
    this.#router = router;
    this.#logger = logger;
    this.#gauge = new Gauge({
      name: 'recio_exchange_health_state',
      help: 'Observed state of each exchange component: 1 for its current status, 0 for the others',
      labelNames: ['component', 'status'],
      registers: [registry],
    });
  }

  /** The status last published for `component`, or null before the first. */
  published(component: string): HealthChange['status'] | null {
    return this.#published.get(component) ?? null;
  }

  /** Records an observation; publishes it when the status changed. Never throws. */
  async observe(component: string, state: ComponentState, at: number): Promise<void> {
    for (const status of STATUSES) this.#gauge.set({ component, status }, status === state.status ? 1 : 0);
    const previous = this.published(component);
    if (previous === state.status) return;
    const change: HealthChange = {
      component,
      status: state.status,
      previous,
      detail: state.detail,
      latencyMs: state.latencyMs,
      at,
    };
    try {
      await this.#router.publish('system:health', 'health.changed', change);
      this.#published.set(component, state.status);
      this.#logger.info(
        { component, status: state.status, previous, detail: state.detail, latencyMs: state.latencyMs },
        'exchange health changed',
      );
    } catch (err) {
      this.#logger.warn(
        { err, component, status: state.status },
        'health change not published; the next probe retries',
      );
    }
  }
}
