import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultServices, platformProcesses } from './platform-processes.js';
import { Supervisor } from './supervisor.js';

// A fake repository root where only some services are built.
const root = mkdtempSync(join(tmpdir(), 'recio-stack-root-'));
for (const name of ['main-app', 'trade-executor', 'paper-exchange', 'health-controller']) {
  mkdirSync(join(root, 'services', name, 'dist'), { recursive: true });
  writeFileSync(join(root, 'services', name, 'dist', 'main.js'), '');
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('defaultServices', () => {
  it('is every built service, plus the relay', () => {
    expect(defaultServices(root)).toEqual([
      'main-app',
      'trade-executor',
      'health-controller',
      'paper-exchange',
      'relay',
    ]);
  });
});

describe('platformProcesses', () => {
  const processes = platformProcesses({
    root,
    nodePath: '/opt/node/bin/node',
    commonEnv: { DATABASE_URL: 'postgres://db/recio', LOG_LEVEL: 'info' },
    serviceEnv: { 'main-app': { TRADE_MANAGER_URL: 'http://127.0.0.1:4000', LOG_LEVEL: 'debug' } },
  });
  const byName = Object.fromEntries(processes.map((p) => [p.name, p]));

  it('runs migrate first, the paper exchange next, then the services in catalogue order', () => {
    expect(processes.map((p) => [p.name, p.kind])).toEqual([
      ['migrate', 'oneshot'],
      ['paper-exchange', 'service'],
      ['main-app', 'service'],
      ['trade-executor', 'service'],
      ['health-controller', 'service'],
      ['relay', 'service'],
    ]);
    expect(byName.migrate).toMatchObject({
      command: ['/opt/node/bin/node', 'router/dist/cli/main.js', 'migrate'],
      cwd: root,
    });
  });

  it('makes every service wait for migrations, and exchange-calling ones for the paper exchange too', () => {
    expect(byName['paper-exchange']!.dependsOn).toEqual([]);
    expect(byName['main-app']!.dependsOn).toEqual(['migrate']);
    expect(byName['trade-executor']!.dependsOn).toEqual(['migrate', 'paper-exchange']);
    expect(byName.relay!.dependsOn).toEqual(['migrate']);
    const withoutPaper = platformProcesses({ root, services: ['trade-executor'], commonEnv: {} });
    expect(withoutPaper.map((p) => [p.name, p.dependsOn ?? []])).toEqual([
      ['migrate', []],
      ['trade-executor', ['migrate']],
    ]);
  });

  it('gives each service its port, pod name, source and extra env, and a readiness URL on its port', () => {
    expect(byName['main-app']).toMatchObject({
      command: ['/opt/node/bin/node', 'services/main-app/dist/main.js'],
      readyUrl: 'http://127.0.0.1:3000/readyz',
      env: {
        DATABASE_URL: 'postgres://db/recio',
        LOG_LEVEL: 'debug',
        PORT: '3000',
        POD_NAME: 'main-app-local',
        RECIO_SOURCE: 'main-app',
        TRADE_MANAGER_URL: 'http://127.0.0.1:4000',
      },
    });
    expect(byName['trade-executor']!.env).not.toHaveProperty('TRADE_MANAGER_URL');
    expect(byName.relay).toMatchObject({
      command: ['/opt/node/bin/node', 'router/dist/cli/main.js', 'relay'],
      readyUrl: 'http://127.0.0.1:9464/readyz',
      env: { PORT: '9464', POD_NAME: 'relay-local', RECIO_SOURCE: 'relay' },
    });
  });

  it('is a valid supervisor configuration', () => {
    expect(() => new Supervisor({ processes, log: () => undefined })).not.toThrow();
  });

  it('with database roles: a database-roles oneshot after migrate, and each service connecting as its role', () => {
    const passwords = new Map([
      ['main-app', 'pw-main'],
      ['trade-executor', 'pw-exec'],
      ['health-controller', 'pw-health'],
      ['relay', 'pw-relay'],
    ]);
    const withRoles = platformProcesses({
      root,
      nodePath: '/opt/node/bin/node',
      commonEnv: { DATABASE_URL: 'postgres://owner:secret@db:5432/recio' },
      databaseRoles: { dir: '/keys/roles', passwords },
    });
    const p = Object.fromEntries(withRoles.map((x) => [x.name, x]));
    expect(withRoles.map((x) => x.name)).toEqual([
      'migrate',
      'database-roles',
      'paper-exchange',
      'main-app',
      'trade-executor',
      'health-controller',
      'relay',
    ]);
    expect(p['database-roles']).toMatchObject({
      kind: 'oneshot',
      command: ['/opt/node/bin/node', 'service-kit/dist/database-roles-main.js'],
      dependsOn: ['migrate'],
      env: { DATABASE_URL: 'postgres://owner:secret@db:5432/recio', DATABASE_ROLE_PASSWORDS_DIR: '/keys/roles' },
    });
    expect(p['main-app']!.dependsOn).toEqual(['database-roles']);
    expect(p['trade-executor']!.dependsOn).toEqual(['database-roles', 'paper-exchange']);
    expect(p['main-app']!.env.DATABASE_URL).toBe('postgres://recio_main_app:pw-main@db:5432/recio');
    expect(p.relay!.env.DATABASE_URL).toBe('postgres://recio_relay:pw-relay@db:5432/recio');
    expect(p.migrate!.env.DATABASE_URL).toBe('postgres://owner:secret@db:5432/recio');
    expect(p['paper-exchange']!.env.DATABASE_URL).toBe('postgres://owner:secret@db:5432/recio'); // it never reads it
    expect(() => new Supervisor({ processes: withRoles, log: () => undefined })).not.toThrow();
    passwords.delete('relay');
    expect(() =>
      platformProcesses({
        root,
        commonEnv: { DATABASE_URL: 'postgres://db/recio' },
        databaseRoles: { dir: '/k', passwords },
      }),
    ).toThrow(/^option databaseRoles: no password for relay/);
  });

  it('with Redis users: a redis-users oneshot, and each Redis service connecting as its ACL user', () => {
    const passwords = new Map([
      ['main-app', 'redis-pw-main-app'],
      ['relay', 'redis-pw-relay-00'],
    ]);
    const processes = platformProcesses({
      root,
      services: ['paper-exchange', 'main-app', 'relay'],
      commonEnv: { REDIS_URL: 'redis://127.0.0.1:6379' },
      redisUsers: { dir: '/keys/redis', passwords },
    });
    const p = Object.fromEntries(processes.map((x) => [x.name, x]));
    expect(processes.map((x) => x.name)).toEqual(['migrate', 'redis-users', 'paper-exchange', 'main-app', 'relay']);
    expect(p['redis-users']).toMatchObject({
      kind: 'oneshot',
      command: [process.execPath, 'service-kit/dist/redis-users-main.js'],
      env: { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_USER_PASSWORDS_DIR: '/keys/redis' },
    });
    expect(p['redis-users']!.dependsOn ?? []).toEqual([]);
    expect(p['main-app']!.dependsOn).toEqual(['migrate', 'redis-users']);
    expect(p['main-app']!.env).toMatchObject({ REDIS_USERNAME: 'main-app', REDIS_PASSWORD: 'redis-pw-main-app' });
    expect(p.relay!.env).toMatchObject({ REDIS_USERNAME: 'relay', REDIS_PASSWORD: 'redis-pw-relay-00' });
    // the paper exchange has no Redis user and does not wait for the step
    expect(p['paper-exchange']!.env.REDIS_USERNAME).toBeUndefined();
    expect(p['paper-exchange']!.dependsOn).toEqual([]);
    expect(() => new Supervisor({ processes, log: () => undefined })).not.toThrow();
    passwords.delete('relay');
    expect(() =>
      platformProcesses({ root, services: ['relay'], commonEnv: {}, redisUsers: { dir: '/k', passwords } }),
    ).toThrow(/^option redisUsers: no password for relay/);
  });

  it('with Redis users already on every node (a Sentinel group): no redis-users step, each service still its own user', () => {
    const passwords = new Map([['relay', 'redis-pw-relay-00']]);
    const processes = platformProcesses({
      root,
      services: ['relay'],
      commonEnv: { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'recio' },
      redisUsers: { dir: '/keys/redis', passwords },
      redisUsersApplied: true,
    });
    expect(processes.map((x) => x.name)).toEqual(['migrate', 'relay']);
    expect(processes[1]!.dependsOn).toEqual(['migrate']);
    expect(processes[1]!.env).toMatchObject({ REDIS_USERNAME: 'relay', REDIS_SENTINELS: '127.0.0.1:26379' });
  });

  it('runs a web-users step before main-app when there are browser users, and only when main-app runs', () => {
    const processes = platformProcesses({
      root,
      services: ['main-app', 'trade-manager'],
      commonEnv: { DATABASE_URL: 'postgres://owner@db/recio' },
      webUsersFile: '/dev/web-users.json',
    });
    const step = processes.find((x) => x.name === 'web-users')!;
    expect(step).toMatchObject({ kind: 'oneshot', dependsOn: ['migrate'] });
    expect(step.command.slice(1)).toEqual(['services/main-app/dist/web-users-main.js']);
    expect(step.env).toMatchObject({
      WEB_USERS_FILE: '/dev/web-users.json',
      DATABASE_URL: 'postgres://owner@db/recio',
    });
    expect(processes.find((x) => x.name === 'main-app')!.dependsOn).toContain('web-users');
    expect(processes.find((x) => x.name === 'trade-manager')!.dependsOn).not.toContain('web-users');
    const without = platformProcesses({ root, services: ['trade-manager'], commonEnv: {}, webUsersFile: '/x' });
    expect(without.map((x) => x.name)).not.toContain('web-users');
  });

  it('rejects a service the catalogue does not have', () => {
    expect(() => platformProcesses({ root, services: ['nope'], commonEnv: {} })).toThrow(
      /^option services: unknown service "nope"/,
    );
  });
});
