import pg from 'pg';
import { RecioError } from '../../errors.js';
import { listDeadLetters, requestRedrive } from '../../sql/dead-letter.js';
import { integer, parse, UsageError } from '../args.js';
import { writeJsonLine, type CliContext } from '../context.js';

/**
 * `recio dlq list [--group G] [--channel C] [--limit N]`: dead letters as JSON lines, newest first.
 * `recio dlq replay --id N`: asks the letter's group to run its handler on it again; a member
 * of the group does so within its sweep interval and marks it redriven.
 */
export async function dlq(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  const pool = new pg.Pool({ connectionString: ctx.config.databaseUrl, max: 1 });
  try {
    if (sub === 'list') {
      const values = parse(rest, { group: { type: 'string' }, channel: { type: 'string' }, limit: { type: 'string' } });
      const letters = await listDeadLetters(pool, {
        group: values.group,
        channel: values.channel,
        limit: integer(values, 'limit', 100, 1),
      });
      for (const letter of letters) writeJsonLine(ctx.stdout, letter);
      return 0;
    }
    if (sub === 'replay') {
      const values = parse(rest, { id: { type: 'string' } });
      if (values.id === undefined) throw new UsageError('--id is required');
      const letter = await requestRedrive(pool, integer(values, 'id', 0, 1));
      if (!letter) throw new RecioError('NOT_FOUND', `no dead letter with id ${String(values.id)}`);
      writeJsonLine(ctx.stdout, {
        requested: letter.id,
        group: letter.group_name,
        channel: letter.channel,
        seq: letter.seq,
      });
      return 0;
    }
    throw new UsageError('expected `recio dlq list` or `recio dlq replay --id N`');
  } finally {
    await pool.end();
  }
}
