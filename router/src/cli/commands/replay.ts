import { MAX_REPLAY_LIMIT } from '../../replay.js';
import { integer, parse, required, since } from '../args.js';
import { cliLogger, cliRouter, writeJsonLine, type CliContext } from '../context.js';

/**
 * `recio replay --channel C --since ISO|seq:N [--limit N]`: prints the channel's events
 * from that point as JSON lines, at most `--limit` (default: up to the current head).
 */
export async function replay(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { channel: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } });
  const channel = required(values, 'channel');
  let position = since(required(values, 'since'));
  let remaining = integer(values, 'limit', Number.MAX_SAFE_INTEGER, 1);
  const router = cliRouter(ctx.config, cliLogger(ctx.config));
  try {
    router.channels.validate(channel);
    while (remaining > 0 && !ctx.stopSignal.aborted) {
      const page = await router.replay(channel, { ...position, limit: Math.min(remaining, MAX_REPLAY_LIMIT) });
      for (const event of page.events) writeJsonLine(ctx.stdout, event);
      remaining -= page.events.length;
      if (!page.hasMore || page.events.length === 0) break;
      position = { sinceSeq: page.next };
    }
  } finally {
    await router.close();
  }
  return 0;
}
