import type { Command } from 'ioredis';
import type { RouterMetrics } from '../metrics.js';
import type { RedisClient } from './connection.js';

// A blocking read waits for entries by design: its time is idleness, not latency.
const isBlocking = (command: Command): boolean =>
  command.args.some((a) => typeof a === 'string' && a.toUpperCase() === 'BLOCK') ||
  /^(b[lrz]pop|blmove|brpoplpush|bzpop(min|max)|blmpop|bzmpop|wait)$/.test(command.name);

/**
 * Exports a client's connection state and command latency (ARCHITECTURE "Observability"):
 * `recio_redis_connected` 1 while it is ready, and `recio_redis_command_seconds{command}` from
 * sending to the reply, for every command but blocking reads. Every command a client sends, on
 * its own or auto-pipelined, goes through its `sendCommand`, which is wrapped here.
 */
export function instrumentRedis(client: RedisClient, metrics: RouterMetrics): void {
  metrics.redisConnected.set(client.status === 'ready' ? 1 : 0);
  client.on('ready', () => metrics.redisConnected.set(1));
  for (const down of ['close', 'end', 'reconnecting'] as const) client.on(down, () => metrics.redisConnected.set(0));
  const target = client as unknown as { sendCommand: (command: Command, ...rest: unknown[]) => unknown };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (command, ...rest) => {
    if (!isBlocking(command)) {
      const done = metrics.redisCommandSeconds.startTimer({ command: command.name.toLowerCase() });
      command.promise.then(
        () => done(),
        () => done(),
      );
    }
    return send(command, ...rest);
  };
}
