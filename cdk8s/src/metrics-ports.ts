import type { ServiceSpec } from '@recio/platform';

/** Name of an exporter's container port (and of the relay's: it serves metrics only). */
export const METRICS_PORT_NAME = 'metrics';
/** redis_exporter's port, in every Redis pod. */
export const REDIS_EXPORTER_PORT = 9121;
/** postgres_exporter's port (kind) and CloudNativePG's exporter's (cloud). */
export const POSTGRES_EXPORTER_PORT = 9187;

/** The name of a service's one port, which serves its API and `/metrics` (the relay's: metrics only). */
export function servicePortName(service: Pick<ServiceSpec, 'name'>): string {
  return service.name === 'relay' ? METRICS_PORT_NAME : 'http';
}

/**
 * Every container port Prometheus scrapes `/metrics` on is named one of these, and no other port
 * is: the ServiceMonitors and PodMonitors (cloud) and the kind Prometheus' one keep rule both
 * follow from it.
 */
export function scrapedPortNames(services: readonly ServiceSpec[]): string[] {
  return [...new Set([...services.map(servicePortName), METRICS_PORT_NAME])].sort();
}

/** The port numbers behind {@link scrapedPortNames}: each service's, then the exporters'. */
export function scrapedPorts(services: readonly ServiceSpec[]): number[] {
  return [...new Set([...services.map((s) => s.port), REDIS_EXPORTER_PORT, POSTGRES_EXPORTER_PORT])];
}
