import type { Pool, PoolClient } from 'pg';
import { Counter, type Registry } from 'prom-client';

/**
 * Counts every statement a service sends to PostgreSQL, the router's included
 * (`recio_pg_queries_total{service}`): the migration dashboard compares it with the legacy
 * system's polling. Wraps each pooled client's `query` once, when the pool creates it.
 */
export function countQueries(pool: Pool, registry: Registry, service: string): Counter<'service'> {
  const counter = new Counter({
    name: 'recio_pg_queries_total',
    help: 'Statements sent to PostgreSQL, by service (BEGIN/COMMIT included)',
    labelNames: ['service'],
    registers: [registry],
  });
  const child = counter.labels(service);
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      child.inc();
      return query(...args);
    };
  });
  // Pool.query checks out a client and calls its query(): counted by the wrapper above.
  return counter;
}
