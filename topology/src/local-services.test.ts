import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportLine } from './local-services.js';
import { parsePostgresUrl, quoteIdent } from './postgres-database.js';
import { findProjectRoot } from './project-root.js';
import { redactUrl } from './redact-url.js';

describe('exportLine', () => {
  it('prints one eval-able line, quoting only values the shell would interpret', () => {
    expect(
      exportLine({
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: "postgres://u:it's@h/db?x=1&y=2",
        RECIO_PRIVATE_SERVICES: '1',
      }),
    ).toBe(
      `export REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL='postgres://u:it'\\''s@h/db?x=1&y=2' RECIO_PRIVATE_SERVICES=1`,
    );
  });
});

describe('findProjectRoot', () => {
  const base = mkdtempSync(join(tmpdir(), 'recio-root-unit-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('finds the nearest ancestor whose package.json declares workspaces, skipping workspace packages', () => {
    writeFileSync(join(base, 'package.json'), JSON.stringify({ workspaces: ['topology'] }));
    mkdirSync(join(base, 'topology', 'src'), { recursive: true });
    writeFileSync(join(base, 'topology', 'package.json'), JSON.stringify({ name: '@recio/topology' }));
    expect(findProjectRoot(join(base, 'topology', 'src'))).toBe(base);
  });
});

describe('parsePostgresUrl', () => {
  it("fills in libpq's default user when the URL has none, and reads the database name", () => {
    const { url, database } = parsePostgresUrl('postgres://127.0.0.1:5432/recio');
    expect(url.username).toBe(encodeURIComponent(process.env['PGUSER'] ?? userInfo().username));
    expect(database).toBe('recio');
  });

  it('keeps an explicit user and password', () => {
    const { url } = parsePostgresUrl('postgresql://app:pw@db:5433/x');
    expect([url.username, url.password, url.port]).toEqual(['app', 'pw', '5433']);
  });

  it('rejects other schemes without echoing the password', () => {
    expect(() => parsePostgresUrl('mysql://u:secret@h/db')).toThrow(/mysql:\/\/u:\*\*\*@h\/db/);
  });
});

describe('helpers', () => {
  it('quotes identifiers and redacts passwords', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(redactUrl('redis://:hunter2@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
  });
});
