/**
 * What the Redis integration tests share: the ACL passwords the pods' Secret would hold, the
 * placeholder substitution their start scripts do, and clients that never retry.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisAclSecretKeys } from '../src/redis-acl.js';

/** One random password per ACL user, as `secrets.sh` makes them. */
export const passwords: Readonly<Record<string, string>> = Object.fromEntries(
  redisAclSecretKeys().map((k) => [k, randomBytes(16).toString('hex')]),
);

/** What the start scripts do with sed: fill passwords and host names. */
export function substitute(text: string, vars: Record<string, string>): string {
  let out = text.replace(/@@PW_([a-z0-9-]+)@@/g, (_, k: string) => passwords[k] ?? `missing-${k}`);
  for (const [k, v] of Object.entries(vars)) out = out.replaceAll(`@@${k}@@`, v);
  return out;
}

/** Clients that fail at once instead of retrying (servers come and go in these tests). */
export class Clients {
  readonly #all: Redis[] = [];

  /** A client of `host`:`port`, as `username` (with its password) or anonymous. */
  connect(port: number, username?: string, host = '127.0.0.1'): Redis {
    const c = new Redis({
      host,
      port,
      ...(username === undefined ? {} : { username, password: passwords[username] ?? 'x' }),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Refused connections are expected while servers start; the assertions read the replies.
    c.on('error', () => {});
    this.#all.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.#all) c.disconnect();
  }
}
