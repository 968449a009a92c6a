/**
 * Where Redis and PostgreSQL are when nobody says (REDIS_URL, DATABASE_URL unset): the machine's own,
 * as the Makefile's defaults. `make dev`, `make test`, the CLI and the tests fall back to these.
 */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_DATABASE_URL = 'postgres://127.0.0.1:5432/recio';
