import { describe, expect, it } from 'vitest';
import { dependantsOf, dependencyOrder } from './dependency-order.js';

const names = (nodes: { name: string }[]): string[] => nodes.map((n) => n.name);

describe('dependencyOrder', () => {
  it('puts each process after its dependencies and otherwise keeps the given order', () => {
    const order = dependencyOrder([
      { name: 'main-app', dependsOn: ['migrate'] },
      { name: 'trade-executor', dependsOn: ['migrate', 'paper-exchange'] },
      { name: 'paper-exchange' },
      { name: 'migrate' },
    ]);
    expect(names(order)).toEqual(['paper-exchange', 'migrate', 'main-app', 'trade-executor']);
  });

  it('rejects unknown dependencies, self-dependencies, duplicates and cycles, naming them', () => {
    expect(() => dependencyOrder([{ name: 'a', dependsOn: ['b'] }])).toThrow(
      'option processes: a depends on unknown process "b"',
    );
    expect(() => dependencyOrder([{ name: 'a', dependsOn: ['a'] }])).toThrow('a depends on itself');
    expect(() => dependencyOrder([{ name: 'a' }, { name: 'a' }])).toThrow('duplicate process name "a"');
    expect(() =>
      dependencyOrder([
        { name: 'x' },
        { name: 'a', dependsOn: ['c'] },
        { name: 'b', dependsOn: ['a'] },
        { name: 'c', dependsOn: ['b'] },
      ]),
    ).toThrow('dependency cycle among a, b, c');
  });

  it('lists direct dependants', () => {
    const nodes = [{ name: 'm' }, { name: 'a', dependsOn: ['m'] }, { name: 'b', dependsOn: ['a', 'm'] }];
    expect(dependantsOf(nodes, 'm')).toEqual(['a', 'b']);
    expect(dependantsOf(nodes, 'b')).toEqual([]);
  });
});
