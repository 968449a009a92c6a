import { setTimeout as sleep } from 'node:timers/promises';
import { integer, parse } from '../args.js';
import { cliLogger, cliRouter, type CliContext } from '../context.js';

/**
 * `recio demo [--rate N] [--count N] [--seed N]`: a demo publisher for `make dev` — a BTC
 * price tick on prices:btc N times a second (a seeded random walk) and a trade event on
 * trades:user_0001 every 10 ticks.
 */
export async function demo(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { rate: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' } });
  const rate = integer(values, 'rate', 1, 1);
  const count = integer(values, 'count', Number.MAX_SAFE_INTEGER, 1);
  let state = integer(values, 'seed', 42);
  const logger = cliLogger(ctx.config);
  const router = cliRouter(ctx.config, logger);
  // mulberry32: small, seeded, good enough for a demo walk.
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let price = 100_000;
  try {
    for (let i = 1; i <= count && !ctx.stopSignal.aborted; i++) {
      price *= 1 + (random() - 0.5) * 0.0006;
      const event = await router.publish('prices:btc', 'price.tick', { symbol: 'BTC-USD', price: Math.round(price * 100) / 100 });
      if (i % 10 === 0) await router.publish('trades:user_0001', 'trade.demo', { tick: event.seq, price: event.data });
      if (i % (rate * 10) === 0) logger.info({ channel: 'prices:btc', seq: event.seq }, 'demo publishing');
      await sleep(1000 / rate, undefined, { signal: ctx.stopSignal }).catch(() => undefined);
    }
  } finally {
    await router.close();
  }
  return 0;
}
