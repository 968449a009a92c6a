import { NOTICE_WITHHELD, PUBLIC_HEALTH_COMPONENTS, SystemEvent } from '@recio/platform';
import type { RecioEvent } from '@recio/router';
import { isUsersChannel } from './replay-access.js';

/**
 * What a trader may see of a `system:health` event: the public state (the exchange, trading, the
 * price feed), notices about them (`health.changed` naming their user, a dead letter or a repair of
 * one of their own channels, with the error's code but not its internal message); in place of
 * anything else, `notice.withheld` with the same seq, id and time, so the channel stays gapless
 * and no other trader's channel name, trade or error reaches them. An admin sees everything.
 */
export function traderViewOf(event: RecioEvent, userId: string): RecioEvent {
  const decoded = SystemEvent.safeParse({ type: event.type, data: event.data });
  const shown = decoded.success ? visibleTo(decoded.data, userId) : null;
  return shown ? { ...event, ...shown } : { ...event, type: NOTICE_WITHHELD, data: {} };
}

function visibleTo(event: SystemEvent, userId: string): Pick<RecioEvent, 'type' | 'data'> | null {
  switch (event.type) {
    case 'health.changed': {
      const d = event.data;
      const isPublic = d.userId === undefined && (PUBLIC_HEALTH_COMPONENTS as readonly string[]).includes(d.component);
      return isPublic || d.userId === userId ? event : null;
    }
    case 'consumer.dead_letter':
      return isUsersChannel(event.data.channel, userId)
        ? { ...event, data: { ...event.data, error: event.data.error_code } }
        : null;
    case 'stream.repaired':
      return isUsersChannel(event.data.channel, userId) ? event : null;
    default:
      return null;
  }
}
