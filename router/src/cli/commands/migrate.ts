import { runMigrations } from '../../migrate.js';
import { cliLogger, writeJsonLine, type CliContext } from '../context.js';
import { parse } from '../args.js';

/** `recio migrate`: applies pending migrations (safe to run concurrently). */
export async function migrate(argv: string[], ctx: CliContext): Promise<number> {
  parse(argv, {});
  const applied = await runMigrations({ databaseUrl: ctx.config.databaseUrl, logger: cliLogger(ctx.config) });
  writeJsonLine(ctx.stdout, { applied });
  return 0;
}
