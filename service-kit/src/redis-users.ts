import { redisAccess, redisServices, SERVICES, type ServiceSpec } from '@recio/platform';
import { RecioError, type RedisClient } from '@recio/router';
import { aclUserRules } from '@recio/topology';

/** Why the users could not be applied; `code` is stable. */
export class RedisUsersError extends RecioError {}

/** Options of {@link applyRedisUsers}. */
export interface ApplyRedisUsersOptions {
  /** A connection whose user may run ACL SETUSER (the default user of a local Redis, `admin` in the charts). */
  redis: RedisClient;
  /** A password per service name. */
  passwords: ReadonlyMap<string, string>;
  /** @defaultValue SERVICES from @recio/platform */
  services?: readonly ServiceSpec[];
}

/** One user as applied. */
export interface AppliedRedisUser {
  name: string;
  keys: string[];
  channels: string[];
}

// What a password may hold: it travels as one ACL rule (`>password`) and in environment variables.
const PASSWORD = /^[\x21-\x7e]{16,}$/;

/**
 * Gives each service that talks to Redis its ACL user with exactly the rules of the catalogue
 * (@recio/platform's redisAccess, the same the charts render into the ACL file): on a standalone
 * Redis, for `make dev` and the e2e day, so a key a service writes but its user may not is refused
 * locally as it would be in Kubernetes. Key, channel and command rules are replaced on every run;
 * the password is added, not swapped, so two checkouts sharing one Redis each keep theirs.
 */
export async function applyRedisUsers(options: ApplyRedisUsersOptions): Promise<AppliedRedisUser[]> {
  const services = redisServices(options.services ?? SERVICES);
  const missing = services.filter((s) => !options.passwords.get(s.name));
  if (missing.length > 0) {
    throw new RedisUsersError('PASSWORD_MISSING', `no password for ${missing.map((s) => s.name).join(', ')}`);
  }
  const weak = services.filter((s) => !PASSWORD.test(options.passwords.get(s.name)!));
  if (weak.length > 0) {
    throw new RedisUsersError(
      'PASSWORD_INVALID',
      `passwords must be at least 16 printable ASCII characters without spaces: ${weak.map((s) => s.name).join(', ')}`,
    );
  }
  const applied: AppliedRedisUser[] = [];
  for (const service of services) {
    const access = redisAccess(service, options.services ?? SERVICES);
    const rules = aclUserRules({
      name: access.name,
      password: options.passwords.get(service.name)!,
      keys: access.keys,
      readKeys: access.readKeys,
      channels: access.channels,
      commands: [...access.commands],
      selectors: access.selectors.map((s) => ({ keys: s.keys, commands: [...s.commands] })),
    });
    // Rules are cleared first so a user never keeps a key, a command or a selector the catalogue no
    // longer grants.
    await options.redis.call(
      'ACL',
      'SETUSER',
      access.name,
      'resetkeys',
      'resetchannels',
      'clearselectors',
      '-@all',
      ...rules,
    );
    applied.push({ name: access.name, keys: access.keys, channels: access.channels });
  }
  return applied;
}
