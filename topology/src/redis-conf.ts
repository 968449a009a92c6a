import { confLine } from './conf-line.js';
import { InvalidOptionError } from './errors.js';
import { checkBoolean, checkPort, checkPositiveInt, checkText, checkToken, withDefaults } from './validate.js';

/**
 * Eviction policies that only ever touch keys with a TTL, or nothing. Streams carry no TTL, so
 * these can never evict an event (ARCHITECTURE invariant 11).
 */
export const ALLOWED_MAXMEMORY_POLICIES = ['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-ttl'] as const;
export type MaxmemoryPolicy = (typeof ALLOWED_MAXMEMORY_POLICIES)[number];

/** An RDB snapshot rule: save after `seconds` if at least `changes` keys changed. */
export interface SaveRule {
  seconds: number;
  changes: number;
}

/** A Redis host and port. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** One ACL user, rendered as `user NAME on >PASSWORD ~keys &channels +@category -command`. */
export interface RedisAclUser {
  name: string;
  /** Plain-text password (rendered `>password`). Give this or `passwordSha256`. */
  password?: string;
  /** SHA-256 hex digest of the password (rendered `#digest`), keeps the secret out of the file. */
  passwordSha256?: string;
  /** Key patterns, rendered `~pattern`. */
  keys: string[];
  /** Key patterns only read, rendered `%R~pattern`. */
  readKeys?: string[];
  /** Pub/sub channel patterns, rendered `&pattern` (Redis 7 denies all channels by default). */
  channels: string[];
  /** Command rules, each starting with `+` or `-`: `+@stream`, `+ping`, `-@dangerous`, `+client|setname`. */
  commands: string[];
  /**
   * Redis 7 selectors, each rendered `(~keys +commands)`: a command is allowed when the rules above
   * or one selector allow it with every key it touches.
   */
  selectors?: { keys: string[]; commands: string[] }[];
  /**
   * Whether the user may log in.
   * @defaultValue true
   */
  enabled?: boolean;
}

/** Cluster mode settings. */
export interface RedisClusterConfOptions {
  enabled: boolean;
  /**
   * File (relative to `dir`) where the node keeps its cluster state.
   * @defaultValue 'nodes.conf'
   */
  configFile?: string;
  /**
   * Milliseconds a node may be unreachable before it is considered failing.
   * @defaultValue 5000
   */
  nodeTimeoutMs?: number;
}

/** Options of {@link renderRedisConf}. */
export interface RedisConfOptions {
  /**
   * TCP port.
   * @defaultValue 6379
   */
  port?: number;
  /**
   * Addresses to listen on.
   * @defaultValue '127.0.0.1'
   */
  bind?: string | string[];
  /**
   * Working directory for AOF, RDB and nodes.conf.
   * @defaultValue the server's working directory (no `dir` line)
   */
  dir?: string;
  /**
   * Append-only file persistence.
   * @defaultValue true
   */
  appendonly?: boolean;
  /**
   * AOF fsync policy; `everysec` loses at most about a second of writes on a host crash.
   * @defaultValue 'everysec'
   */
  appendfsync?: 'everysec' | 'always' | 'no';
  /**
   * RDB snapshot rules; an empty array disables snapshots (`save ""`).
   * @defaultValue 900 1, 300 10, 60 10000
   */
  save?: SaveRule[];
  /**
   * Memory limit: bytes, or a Redis size such as '512mb'.
   * @defaultValue no limit (no `maxmemory` line)
   */
  maxmemory?: number | string;
  /**
   * Eviction policy; allkeys-* policies are rejected because they evict streams.
   * @defaultValue 'noeviction'
   */
  maxmemoryPolicy?: MaxmemoryPolicy;
  /**
   * Seconds a master waits for more replicas before a diskless full sync starts
   * (`repl-diskless-sync-delay`); local test topologies use 0 so replicas sync at once.
   * @defaultValue Redis's own (5 s; no line)
   */
  replDisklessSyncDelaySeconds?: number;
  /**
   * Replicate from this master (not in cluster mode).
   * @defaultValue none (a master)
   */
  replicaOf?: RedisAddress;
  /**
   * Host name other nodes and clients should use for this node (a pod's stable DNS name):
   * `replica-announce-ip`, and in cluster mode `cluster-announce-hostname` with hostname endpoints.
   * @defaultValue none (peers see the connection address)
   */
  announceHostname?: string;
  /**
   * Cluster mode.
   * @defaultValue disabled
   */
  cluster?: RedisClusterConfOptions;
  /**
   * ACL users, rendered in the order given.
   * @defaultValue []
   */
  users?: RedisAclUser[];
  /**
   * ACL user this node authenticates as when it replicates (`masteruser`); needs `masterAuth`.
   * @defaultValue none
   */
  masterUser?: string;
  /**
   * Password this node uses when it replicates (`masterauth`).
   * @defaultValue none
   */
  masterAuth?: string;
  /**
   * Password of the `default` user (`requirepass`).
   * @defaultValue none
   */
  requirePass?: string;
  /**
   * Refuse non-local clients while the default user has no password.
   * @defaultValue true
   */
  protectedMode?: boolean;
  /**
   * Log file path.
   * @defaultValue standard output (no `logfile` line)
   */
  logfile?: string;
}

const DEFAULTS = {
  port: 6379,
  bind: '127.0.0.1' as string | string[],
  appendonly: true,
  appendfsync: 'everysec' as const,
  save: [
    { seconds: 900, changes: 1 },
    { seconds: 300, changes: 10 },
    { seconds: 60, changes: 10_000 },
  ] as SaveRule[],
  maxmemoryPolicy: 'noeviction' as MaxmemoryPolicy,
  users: [] as RedisAclUser[],
  protectedMode: true,
};

const CLUSTER_DEFAULTS = { configFile: 'nodes.conf', nodeTimeoutMs: 5000 };

const MEMORY_SIZE = /^[1-9][0-9]*(b|k|kb|m|mb|g|gb)?$/i;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Renders a redis.conf. Same options, same text: lines come in a fixed order and lists in the
 * order given. The server never daemonizes (a supervisor, Kubernetes or our launcher, owns it).
 */
export function renderRedisConf(options: RedisConfOptions = {}): string {
  const o = withDefaults(DEFAULTS, options);
  const lines = ['# Generated by @recio/topology renderRedisConf; do not edit by hand.'];

  lines.push(confLine('port', checkPort('port', o.port)));
  const bind = Array.isArray(o.bind) ? o.bind : [o.bind];
  if (bind.length === 0) throw new InvalidOptionError('bind', 'needs at least one address');
  lines.push(confLine('bind', ...bind.map((b, i) => checkToken(`bind[${i}]`, b))));
  lines.push(confLine('protected-mode', yesNo(checkBoolean('protectedMode', o.protectedMode))));
  lines.push(confLine('daemonize', 'no'));
  if (o.dir !== undefined) lines.push(confLine('dir', checkText('dir', o.dir)));
  if (o.logfile !== undefined) lines.push(confLine('logfile', checkText('logfile', o.logfile)));

  lines.push(confLine('appendonly', yesNo(checkBoolean('appendonly', o.appendonly))));
  if (o.appendonly) {
    if (!['everysec', 'always', 'no'].includes(o.appendfsync)) {
      throw new InvalidOptionError('appendfsync', `must be everysec, always or no, got ${String(o.appendfsync)}`);
    }
    lines.push(confLine('appendfsync', o.appendfsync));
  }
  lines.push(renderSave(o.save));

  if (o.maxmemory !== undefined) lines.push(confLine('maxmemory', checkMaxmemory(o.maxmemory)));
  lines.push(confLine('maxmemory-policy', checkPolicy(o.maxmemoryPolicy)));

  const clusterEnabled = o.cluster?.enabled === true;
  if (o.replicaOf !== undefined) {
    if (clusterEnabled) {
      throw new InvalidOptionError(
        'replicaOf',
        'cannot be combined with cluster.enabled (cluster replicas use CLUSTER REPLICATE)',
      );
    }
    lines.push(
      confLine(
        'replicaof',
        checkToken('replicaOf.host', o.replicaOf.host),
        checkPort('replicaOf.port', o.replicaOf.port),
      ),
    );
  }
  if (o.masterUser !== undefined) {
    if (o.masterAuth === undefined) throw new InvalidOptionError('masterUser', 'needs masterAuth');
    lines.push(confLine('masteruser', checkToken('masterUser', o.masterUser)));
  }
  if (o.masterAuth !== undefined) lines.push(confLine('masterauth', checkText('masterAuth', o.masterAuth)));
  if (o.replDisklessSyncDelaySeconds !== undefined) {
    lines.push(
      confLine(
        'repl-diskless-sync-delay',
        checkPositiveInt('replDisklessSyncDelaySeconds', o.replDisklessSyncDelaySeconds, 0),
      ),
    );
  }
  if (o.announceHostname !== undefined) {
    lines.push(confLine('replica-announce-ip', checkToken('announceHostname', o.announceHostname)));
  }

  if (o.cluster !== undefined) lines.push(...renderCluster(o.cluster, o.announceHostname));

  if (o.requirePass !== undefined) lines.push(confLine('requirepass', checkText('requirePass', o.requirePass)));
  o.users.forEach((user, i) => lines.push(renderUser(user, `users[${i}]`)));

  return `${lines.join('\n')}\n`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

function renderSave(rules: SaveRule[]): string {
  if (!Array.isArray(rules)) throw new InvalidOptionError('save', 'must be an array of { seconds, changes }');
  if (rules.length === 0) return confLine('save', '');
  const args = rules.flatMap((r, i) => [
    checkPositiveInt(`save[${i}].seconds`, r.seconds),
    checkPositiveInt(`save[${i}].changes`, r.changes),
  ]);
  return confLine('save', ...args);
}

function checkMaxmemory(value: number | string): string {
  if (typeof value === 'number') return String(checkPositiveInt('maxmemory', value));
  if (!MEMORY_SIZE.test(value)) {
    throw new InvalidOptionError(
      'maxmemory',
      `must be a byte count or a size like 512mb, got ${JSON.stringify(value)}`,
    );
  }
  return value.toLowerCase();
}

function checkPolicy(policy: string): MaxmemoryPolicy {
  if (policy.startsWith('allkeys-')) {
    throw new InvalidOptionError(
      'maxmemoryPolicy',
      `${policy} is not allowed: allkeys policies evict streams (events); use volatile-lru (cache keys carry a TTL) or noeviction`,
    );
  }
  if (!(ALLOWED_MAXMEMORY_POLICIES as readonly string[]).includes(policy)) {
    throw new InvalidOptionError(
      'maxmemoryPolicy',
      `must be one of ${ALLOWED_MAXMEMORY_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
    );
  }
  return policy as MaxmemoryPolicy;
}

function renderCluster(cluster: RedisClusterConfOptions, announceHostname: string | undefined): string[] {
  const c = withDefaults(CLUSTER_DEFAULTS, cluster);
  if (!checkBoolean('cluster.enabled', c.enabled)) return [confLine('cluster-enabled', 'no')];
  const lines = [
    confLine('cluster-enabled', 'yes'),
    confLine('cluster-config-file', checkToken('cluster.configFile', c.configFile)),
    confLine('cluster-node-timeout', checkPositiveInt('cluster.nodeTimeoutMs', c.nodeTimeoutMs)),
  ];
  if (announceHostname !== undefined) {
    // Redis 7.0+: clients are redirected (MOVED, CLUSTER SHARDS) to the announced host name.
    lines.push(confLine('cluster-announce-hostname', announceHostname));
    lines.push(confLine('cluster-preferred-endpoint-type', 'hostname'));
  }
  return lines;
}

function renderUser(user: RedisAclUser, path: string): string {
  return confLine('user', checkToken(`${path}.name`, user.name), ...aclUserRules(user, path));
}

/**
 * The ACL rules of one user after its name (`on >password ~keys &channels +commands`), checked: what
 * a config file's `user` line carries and what `ACL SETUSER <name>` takes, so both grant the same.
 */
export function aclUserRules(user: RedisAclUser, path = 'user'): string[] {
  const rules: string[] = [user.enabled === false ? 'off' : 'on'];
  if (user.password === undefined && user.passwordSha256 === undefined) {
    throw new InvalidOptionError(`${path}.password`, 'a user needs password or passwordSha256');
  }
  if (user.password !== undefined) rules.push(`>${checkText(`${path}.password`, user.password)}`);
  if (user.passwordSha256 !== undefined) {
    if (!SHA256_HEX.test(user.passwordSha256)) {
      throw new InvalidOptionError(`${path}.passwordSha256`, 'must be 64 lowercase hex digits');
    }
    rules.push(`#${user.passwordSha256}`);
  }
  rules.push(...keyRules(user.keys, user.readKeys, path));
  for (const [i, ch] of (user.channels ?? []).entries()) rules.push(`&${checkToken(`${path}.channels[${i}]`, ch)}`);
  rules.push(...commandRules(user.commands, path));
  for (const [i, selector] of (user.selectors ?? []).entries()) {
    const at = `${path}.selectors[${i}]`;
    if (selector.keys.length === 0) throw new InvalidOptionError(`${at}.keys`, 'a selector needs at least one key');
    rules.push(`(${[...keyRules(selector.keys, [], at), ...commandRules(selector.commands, at)].join(' ')})`);
  }
  return rules;
}

function keyRules(keys: string[] | undefined, readKeys: string[] | undefined, path: string): string[] {
  return [
    ...(keys ?? []).map((key, i) => `~${checkToken(`${path}.keys[${i}]`, key)}`),
    ...(readKeys ?? []).map((key, i) => `%R~${checkToken(`${path}.readKeys[${i}]`, key)}`),
  ];
}

function commandRules(commands: string[] | undefined, path: string): string[] {
  return (commands ?? []).map((cmd, i) => {
    const rule = checkToken(`${path}.commands[${i}]`, cmd);
    if (!/^[+-]./.test(rule)) {
      throw new InvalidOptionError(
        `${path}.commands[${i}]`,
        `must start with + or - (e.g. +@stream, -flushall), got ${JSON.stringify(rule)}`,
      );
    }
    return rule;
  });
}
