import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest ancestor of `from` (inclusive) whose package.json declares "workspaces". */
export function findProjectRoot(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const json = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
        if (json.workspaces !== undefined) return dir;
      } catch {
        // an unreadable package.json is not the root; keep looking
      }
    }
    if (dir === dirname(dir)) {
      throw new Error(
        `no package.json with "workspaces" in ${resolve(from)} or any parent: run this inside the repository`,
      );
    }
  }
}
