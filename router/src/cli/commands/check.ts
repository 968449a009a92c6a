import { compareAll } from '../../compare.js';
import { integer, parse } from '../args.js';
import { cliLogger, cliRouter, writeJsonLine, type CliContext } from '../context.js';

/**
 * `recio check [--tolerance N]`: compares every channel's PostgreSQL head with its Redis
 * stream; prints one JSON line per channel behind by more than N events (default 0) and a
 * summary line; exits 1 when any is.
 */
export async function check(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { tolerance: { type: 'string' } });
  const tolerance = integer(values, 'tolerance', 0);
  const router = cliRouter(ctx.config, cliLogger(ctx.config));
  let channels = 0;
  let behind = 0;
  try {
    await router.waitUntilReady({ redisTimeoutMs: 10_000 });
    for await (const page of compareAll(router.pool, router.scripts, 1_000)) {
      channels += page.length;
      for (const s of page) {
        if (s.head - s.last > tolerance) {
          behind++;
          writeJsonLine(ctx.stdout, { channel: s.channel, head: s.head, redis: s.last, behind: s.head - s.last });
        }
      }
    }
  } finally {
    await router.close();
  }
  writeJsonLine(ctx.stdout, { channels, behind, tolerance, ok: behind === 0 });
  return behind === 0 ? 0 : 1;
}
