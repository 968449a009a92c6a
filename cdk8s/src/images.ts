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

/** The image of one of our services, built from the root Dockerfile with `--build-arg SERVICE=<name>`. */
export function serviceImage(config: ChartConfig, service: string): string {
  return `${config.imageRegistry}/recio-${service}:${config.imageTag}`;
}
