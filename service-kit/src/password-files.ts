import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceSpec } from '@recio/platform';

/**
 * The passwords in `dir`, one file per service named after it (as `make dev` and the charts' mounted
 * Secrets lay them out). A missing or empty file is left out: the step reading them reports every
 * missing one at once.
 */
export async function readPasswordFiles(dir: string, services: readonly ServiceSpec[]): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  for (const s of services) {
    const text = await readFile(join(dir, s.name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    if (text.trim() !== '') passwords.set(s.name, text.trim());
  }
  return passwords;
}
