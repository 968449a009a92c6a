import { once } from 'node:events';
import { FanoutReader } from '../../consume/fanout-reader.js';
import { parse, since, UsageError } from '../args.js';
import { cliLogger, cliRouter, writeJsonLine, type CliContext } from '../context.js';

/**
 * `recio tail --channel C [--channel P*] [--since seq:N]`: prints events as JSON lines as
 * they are committed (live, in order per channel, gaps filled from replay) until stopped.
 * With --since seq:N (one concrete channel) it first prints the events from seq N on.
 */
export async function tail(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { channel: { type: 'string', multiple: true }, since: { type: 'string' } });
  const channels = values.channel ?? [];
  if (channels.length === 0) throw new UsageError('--channel is required (a channel or class:prefix*)');
  let start: Map<string, number> | undefined;
  if (values.since !== undefined) {
    const position = since(values.since);
    if (!('sinceSeq' in position) || channels.length !== 1 || channels[0]!.endsWith('*')) {
      throw new UsageError('--since takes seq:N, with exactly one concrete --channel');
    }
    start = new Map([[channels[0]!, Math.max(0, position.sinceSeq - 1)]]);
  }
  const router = cliRouter(ctx.config, cliLogger(ctx.config));
  const reader = new FanoutReader(router, {
    channels,
    ...(start ? { since: start } : {}),
    onEvent: (event) => writeJsonLine(ctx.stdout, event),
  });
  try {
    await reader.start();
    if (!ctx.stopSignal.aborted) await once(ctx.stopSignal, 'abort');
  } finally {
    reader.close();
    await router.close();
  }
  return 0;
}
