import { describe, expect, it } from 'vitest';
import { CHANNEL_CLASSES, channelClass, isChannelOrPattern } from '@recio/contract';
import { SERVICES, consumerGroupOf, consumerGroups } from './services.js';

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('SERVICES', () => {
  it('has unique names and ports', () => {
    const names = SERVICES.map((s) => s.name);
    const ports = SERVICES.map((s) => s.port);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('matches the ARCHITECTURE services table, plus the relay', () => {
    expect(Object.fromEntries(SERVICES.map((s) => [s.name, s.port]))).toEqual({
      'main-app': 3000,
      'trade-manager': 4000,
      'trade-executor': 8001,
      'btc-price-watchdog': 8002,
      'kalshi-account-sync': 8004,
      'kalshi-api-watchdog': 8005,
      'active-trade-supervisor': 8007,
      'auto-entry-supervisor': 8009,
      'health-controller': 8010,
      'paper-exchange': 8090,
      relay: 9464,
    });
  });

  it('uses DNS-label names, valid ports and upper-snake env names', () => {
    for (const s of SERVICES) {
      expect(s.name).toMatch(DNS_LABEL);
      expect(s.name.length).toBeLessThanOrEqual(40);
      expect(s.port).toBeGreaterThan(1024);
      expect(s.port).toBeLessThan(65536);
      expect(new Set(s.env).size).toBe(s.env.length);
      for (const e of s.env) expect(e).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(s.cloudReplicas).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives every consumer group a unique name and valid channel patterns', () => {
    const groups = consumerGroups();
    expect(new Set(groups.map((g) => g.group.name)).size).toBe(groups.length);
    for (const { group } of groups) {
      expect(group.name).toMatch(DNS_LABEL);
      expect(group.channels.length).toBeGreaterThan(0);
      for (const ch of group.channels) {
        expect(isChannelOrPattern(ch), ch).toBe(true);
        expect(Object.keys(CHANNEL_CLASSES), ch).toContain(channelClass(ch));
      }
    }
  });

  it('has the consumer groups the domain needs', () => {
    const byName = Object.fromEntries(consumerGroups().map(({ group }) => [group.name, group.channels]));
    expect(byName['trade-executor']).toContain('trades:*');
    // stops on price ticks, the trades it watches from trade events, auto-stop settings
    expect(byName['active-trade-supervisor']).toEqual(['prices:btc', 'trades:*', 'settings:*']);
    // entries on price ticks, settings, and live trades (no second entry on a ticker and side)
    expect(byName['auto-entry-supervisor']).toEqual(['prices:btc', 'settings:*', 'trades:*']);
    // requests and reports, the clock (expiry at the close), settlements
    expect(byName['trade-manager']).toEqual(['trades:*', 'prices:btc', 'account:*']);
    expect(consumerGroupOf('trade-manager').channels).toBe(byName['trade-manager']);
    expect(() => consumerGroupOf('main-app')).toThrow(/exactly one consumer group/);
    expect(byName['kalshi-account-sync']).toBeUndefined();
  });
});
