import { describe, expect, it } from 'vitest';
import {
  CONSUMER_TABLES,
  databaseGrants,
  databaseRoleName,
  databaseServices,
  PUBLISHER_TABLES,
  serviceDatabaseUrl,
} from './database-access.js';
import { SERVICES } from './services.js';

const spec = (name: string) => SERVICES.find((s) => s.name === name)!;

describe('databaseGrants', () => {
  it("merges the router's tables for a consumer with the service's own, privileges in a fixed order", () => {
    expect(databaseGrants(spec('trade-manager'))).toEqual({
      channel_head: ['SELECT', 'INSERT', 'UPDATE'],
      consumer_offset: ['SELECT', 'INSERT', 'UPDATE'],
      dead_letter: ['SELECT', 'INSERT', 'UPDATE'],
      event_log: ['SELECT', 'INSERT'],
      price_tick: ['SELECT'],
      trade: ['SELECT', 'INSERT', 'UPDATE'],
      trade_settlement: ['SELECT', 'INSERT'],
    });
  });

  it('gives a publisher no consumer tables, and the relay what it reads and expires and publishes', () => {
    const watchdog = databaseGrants(spec('kalshi-api-watchdog'));
    expect(watchdog).toEqual(PUBLISHER_TABLES);
    expect(watchdog).not.toHaveProperty('consumer_offset');
    // a publisher (it announces the streams it repairs on system:health) that also deletes past retention
    expect(databaseGrants(spec('relay'))).toEqual({
      channel_head: ['SELECT', 'INSERT', 'UPDATE'],
      event_log: ['SELECT', 'INSERT', 'DELETE'],
    });
  });

  it('unions a privilege granted both by the router and by the service', () => {
    const service = { ...spec('trade-executor'), tables: { event_log: ['DELETE'] as const } };
    expect(databaseGrants(service).event_log).toEqual(['SELECT', 'INSERT', 'DELETE']);
    expect(Object.keys(databaseGrants(service))).toEqual(Object.keys(CONSUMER_TABLES).sort());
  });
});

describe('database roles', () => {
  it('gives a role to every service that reads DATABASE_URL, and to no other', () => {
    const names = databaseServices(SERVICES).map((s) => s.name);
    expect(names).not.toContain('paper-exchange');
    expect(names).toContain('relay');
    expect(names).toHaveLength(SERVICES.length - 1);
    expect(databaseRoleName('active-trade-supervisor')).toBe('recio_active_trade_supervisor');
  });

  it("puts the service's role and password into a connection string, keeping the rest", () => {
    expect(serviceDatabaseUrl('postgres://owner:secret@db:5432/recio?sslmode=require', 'trade-manager', 'p@ss/w')).toBe(
      'postgres://recio_trade_manager:p%40ss%2Fw@db:5432/recio?sslmode=require',
    );
  });
});
