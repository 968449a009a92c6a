import { compareAll } from '../../compare.js';
import { errorCode, isKeyRefusal } from '../../errors.js';
import { integer, parse } from '../args.js';
import { cliLogger, cliRouter, writeJsonLine, type CliContext } from '../context.js';

/**
 * `recio check [--tolerance N] [--repair]`: compares every channel's PostgreSQL head with its Redis
 * stream; prints one JSON line per channel behind by more than N events (default 0) or ahead of
 * PostgreSQL at all (entries the router did not write: never tolerated) or whose stream Redis refuses
 * to read (a key that is not a stream: its error code and message), and a summary line; exits 1 when
 * any is. With --repair, converges each such channel as the relay does first (removes what is
 * ahead, appends what is missing) and reports what it found: `repaired` is the outcome, or the
 * refusal Redis answered for that channel (`{"error": "ERR", "message"}`), the others repaired all the same.
 */
export async function check(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { tolerance: { type: 'string' }, repair: { type: 'boolean' } });
  const tolerance = integer(values, 'tolerance', 0);
  const repair = values.repair === true;
  const router = cliRouter(ctx.config, cliLogger(ctx.config));
  let channels = 0;
  let behind = 0;
  let ahead = 0;
  let unread = 0;
  /** A repair's outcome, or the refusal Redis answered for this channel (the others are repaired all the same). */
  const attempt = async <T>(repairing: () => Promise<T>): Promise<T | { error: string; message: string }> => {
    try {
      return await repairing();
    } catch (err) {
      if (!isKeyRefusal(err)) throw err;
      return { error: errorCode(err), message: err.message };
    }
  };
  try {
    await router.waitUntilReady({ redisTimeoutMs: 10_000 });
    for await (const page of compareAll(router.pool, router.scripts, 1_000)) {
      channels += page.states.length + page.unread.length;
      for (const u of page.unread) {
        unread++;
        writeJsonLine(ctx.stdout, {
          channel: u.channel,
          head: u.head,
          error: errorCode(u.error),
          message: u.error.message,
        });
      }
      for (const s of page.states) {
        // Ahead only when it still is, the head read after the tail (see Propagator.aheadOf).
        const found = s.last > s.head ? await router.propagator.aheadOf(s.channel) : null;
        if (found) {
          ahead++;
          const line = { channel: s.channel, head: found.head, redis: s.last, ahead: s.last - found.head };
          if (!repair) writeJsonLine(ctx.stdout, line);
          else
            writeJsonLine(ctx.stdout, {
              ...line,
              repaired: await attempt(() => router.propagator.repairAhead(s.channel)),
            });
        } else if (s.head - s.last > tolerance) {
          behind++;
          const line = { channel: s.channel, head: s.head, redis: s.last, behind: s.head - s.last };
          if (!repair) writeJsonLine(ctx.stdout, line);
          else
            writeJsonLine(ctx.stdout, {
              ...line,
              repaired: await attempt(async () => ({
                last: await router.propagator.converge(s.channel, s.head, s.last),
              })),
            });
        }
      }
    }
  } finally {
    await router.close();
  }
  const ok = behind === 0 && ahead === 0 && unread === 0;
  writeJsonLine(ctx.stdout, { channels, behind, ahead, unread, tolerance, ok, repaired: repair });
  return ok ? 0 : 1;
}
