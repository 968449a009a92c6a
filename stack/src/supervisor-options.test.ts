import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.js';
import type { ProcessSpec } from './supervisor-options.js';

const svc = (over: Partial<ProcessSpec> = {}): ProcessSpec => ({
  name: 'api',
  kind: 'service',
  command: ['node', 'x.js'],
  env: {},
  ...over,
});
const make = (processes: ProcessSpec[], extra: object = {}): Supervisor =>
  new Supervisor({ processes, log: () => undefined, ...extra });

describe('Supervisor options', () => {
  it('rejects bad values, naming the option', () => {
    expect(() => make([svc()], { restartBackoffMs: 0 })).toThrow(
      'option restartBackoffMs: expected a positive integer, got 0',
    );
    expect(() => make([svc()], { stopDeadlineMs: 1.5 })).toThrow(/^option stopDeadlineMs: /);
    expect(() => make([svc()], { restartBackoffMs: 1000, maxRestartBackoffMs: 500 })).toThrow(
      /^option maxRestartBackoffMs: /,
    );
    expect(() => make([svc({ name: 'a b' })])).toThrow(/^option processes\[0\]\.name: /);
    expect(() => make([svc({ name: 'stack' })])).toThrow(
      /^option processes\[0\]\.name: "stack" is the supervisor's own prefix/,
    );
    expect(() => make([svc({ command: [] })])).toThrow(/^option processes\[0\]\.command: /);
    expect(() => make([svc({ kind: 'daemon' as never })])).toThrow(/^option processes\[0\]\.kind: /);
    expect(() => make([svc({ kind: 'oneshot', readyUrl: 'http://127.0.0.1:1/readyz' })])).toThrow(
      /^option processes\[0\]\.readyUrl: only a service/,
    );
    expect(() => make([svc({ readyUrl: 'https://x/readyz' })])).toThrow(
      /^option processes\[0\]\.readyUrl: expected an http:\/\/ URL/,
    );
    expect(() => make([svc({ dependsOn: ['db'] })])).toThrow('option processes: api depends on unknown process "db"');
  });

  it('reports every process as stopped before start(), in dependency order', () => {
    const sup = make([svc({ name: 'api', dependsOn: ['db'] }), svc({ name: 'db' })]);
    expect(sup.status()).toEqual([
      { name: 'db', kind: 'service', pid: null, state: 'stopped', restarts: 0, startedAt: null },
      { name: 'api', kind: 'service', pid: null, state: 'stopped', restarts: 0, startedAt: null },
    ]);
    expect(sup.kill('api')).toBe(false);
    expect(() => sup.kill('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_PROCESS' }));
  });
});
