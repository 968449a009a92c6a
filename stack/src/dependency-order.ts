import { InvalidOptionError } from './errors.js';

/** What the ordering needs to know about a process. */
export interface DependencyNode {
  readonly name: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Orders processes so that each comes after everything it depends on; among processes that are
 * free to go, the given order is kept (so the order of the list is the tie-break, which keeps logs
 * and tests predictable). Rejects duplicate names, unknown dependencies and cycles, naming them.
 */
export function dependencyOrder<T extends DependencyNode>(nodes: readonly T[], option = 'processes'): T[] {
  const byName = new Map<string, T>();
  for (const node of nodes) {
    if (byName.has(node.name))
      throw new InvalidOptionError(option, `duplicate process name ${JSON.stringify(node.name)}`);
    byName.set(node.name, node);
  }
  for (const node of nodes) {
    for (const dep of node.dependsOn ?? []) {
      if (!byName.has(dep))
        throw new InvalidOptionError(option, `${node.name} depends on unknown process ${JSON.stringify(dep)}`);
      if (dep === node.name) throw new InvalidOptionError(option, `${node.name} depends on itself`);
    }
  }
  const ordered: T[] = [];
  const placed = new Set<string>();
  while (ordered.length < nodes.length) {
    const next = nodes.find((n) => !placed.has(n.name) && (n.dependsOn ?? []).every((d) => placed.has(d)));
    if (!next) {
      const stuck = nodes.filter((n) => !placed.has(n.name)).map((n) => n.name);
      throw new InvalidOptionError(option, `dependency cycle among ${stuck.join(', ')}`);
    }
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** The names of the processes that depend directly on `name`. */
export function dependantsOf(nodes: readonly DependencyNode[], name: string): string[] {
  return nodes.filter((n) => (n.dependsOn ?? []).includes(name)).map((n) => n.name);
}
