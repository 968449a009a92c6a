import type { ChartConfig } from './config.js';

/**
 * Third-party images, pinned. Redis 7.4 for hostnames in Sentinel and Cluster announcements
 * (cluster-announce-hostname needs 7.0); Debian-based so scripts have getent and sh.
 */
export const REDIS_IMAGE = 'redis:7.4.1-bookworm';
/** PostgreSQL for the kind profile (cloud runs CloudNativePG's image of the same major). */
export const POSTGRES_IMAGE = 'postgres:16.4-bookworm';
/** CloudNativePG operand image. */
export const CNPG_POSTGRES_IMAGE = 'ghcr.io/cloudnative-pg/postgresql:16.4';
/**
 * redis_exporter, a sidecar of every Redis pod. v1.61 or later for `--config-command=-` (skip CONFIG),
 * v1.83 or later for `--disable-scrape-endpoint`; its default collection needs LATENCY HISTOGRAM (v1.48+).
 */
export const REDIS_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.88.0';
/** postgres_exporter, beside the kind profile's PostgreSQL (cloud scrapes CloudNativePG's own exporter). */
export const POSTGRES_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.20.1';
/** Prometheus, kind profile only (cloud has prometheus-operator's). */
export const PROMETHEUS_IMAGE = 'prom/prometheus:v3.14.0';
/** Grafana, kind profile only (cloud has its own, with the dashboard sidecar). */
export const GRAFANA_IMAGE = 'grafana/grafana:13.2.3';

/** The image of one of our services, built from the root Dockerfile with `--build-arg SERVICE=<name>`. */
export function serviceImage(config: ChartConfig, service: string): string {
  return `${config.imageRegistry}/recio-${service}:${config.imageTag}`;
}
