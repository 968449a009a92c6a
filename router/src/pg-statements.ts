import type { ClientBase, Pool, PoolClient } from 'pg';
import { Counter, type Registry } from 'prom-client';
import { CARRIES_BEGIN } from './sql/deferred-begin.js';

// Transaction control: counted apart, so "queries" compare like for like with a system that
// polled with single statements (the migration dashboard, docs/performance.md). A round trip is
// counted once: one that begins with BEGIN or ends with COMMIT is control, whatever rides in it
// (the consumer's offset lock with BEGIN, its advance with COMMIT: TransactionOptions.opening,
// Transaction.closeWith).
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SET\s+LOCAL|SAVEPOINT|RELEASE)\b|;\s*COMMIT\s*$/i;

/**
 * Counts every statement sent through `pool` (`recio_pg_statements_total{source, kind}`, kind =
 * query | transaction): the router's own and the caller's, for a pool the router was given too.
 * Wraps each pooled client's `query` once, when the pool creates it.
 */
export function countStatements(pool: Pool, registry: Registry, source: string): void {
  pool.on('connect', (client: PoolClient) => countClientStatements(client, registry, source));
}

/**
 * Counts every statement sent on one client of its own (a leader lock's connection) as
 * {@link countStatements} counts a pool's: every round trip to PostgreSQL is in the figures.
 */
export function countClientStatements(client: ClientBase, registry: Registry, source: string): void {
  const counter =
    (registry.getSingleMetric('recio_pg_statements_total') as Counter<'source' | 'kind'> | undefined) ??
    new Counter({
      name: 'recio_pg_statements_total',
      help: 'Round trips to PostgreSQL by kind (query, or transaction control: one that begins with BEGIN/COMMIT/ROLLBACK/SET LOCAL or ends with COMMIT)',
      labelNames: ['source', 'kind'],
      registers: [registry],
    });
  const queries = counter.labels(source, 'query');
  const control = counter.labels(source, 'transaction');
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    // A business statement that carries a deferred BEGIN is counted as the statement it is.
    const carries = typeof first === 'object' && first !== null && CARRIES_BEGIN in first;
    (!carries && TRANSACTION_CONTROL.test(text) ? control : queries).inc();
    return query(...args);
  };
}
