import { InvalidEventError } from '../../errors.js';
import { parse, required } from '../args.js';
import { cliLogger, cliRouter, writeJsonLine, type CliContext } from '../context.js';

/** `recio publish --channel C --type T --data JSON`: commits one event, prints it. */
export async function publish(argv: string[], ctx: CliContext): Promise<number> {
  const values = parse(argv, { channel: { type: 'string' }, type: { type: 'string' }, data: { type: 'string' } });
  const channel = required(values, 'channel');
  const type = required(values, 'type');
  let data: unknown;
  try {
    data = JSON.parse(required(values, 'data'));
  } catch (cause) {
    throw new InvalidEventError(`--data is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const logger = cliLogger(ctx.config);
  const router = cliRouter(ctx.config, logger);
  try {
    // A fresh process has no Redis connection yet; give it a moment so the event is appended
    // right after its commit. Without Redis the commit still stands and the relay propagates it.
    await router.waitUntilReady();
    if (!(await router.redisReady(3_000))) logger.warn('Redis is not ready; the relay will propagate the event');
    writeJsonLine(ctx.stdout, await router.publish(channel, type, data));
  } finally {
    await router.close();
  }
  return 0;
}
