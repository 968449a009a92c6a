/**
 * Start scripts of the Sentinel topology. Both ask the sentinels for the current master before
 * deciding anything, so a restarted pod-0 rejoins as a replica of whoever was promoted instead of
 * coming back as a second master.
 */

/** Shell that replaces every `@@PW_<key>@@` in $1 with the file /secrets/redis-acl/<key>. */
const SUBSTITUTE_PASSWORDS = `fill_passwords() {
  for f in /secrets/redis-acl/*; do
    k=$(basename "$f"); v=$(cat "$f")
    sed -i "s|@@PW_\${k}@@|\${v}|g" "$1"
  done
}`;

/**
 * Shell that stops the start when a placeholder is left in `file`: a user whose key the Secret
 * lacks would otherwise log in with the placeholder's text, which is public, as its password.
 */
export function checkPasswordsFilled(file: string): string {
  return `if grep -q '@@PW_' ${file}; then
  echo "no password in the Secret for: $(grep -o '@@PW_[a-z0-9-]*@@' ${file} | sort -u | tr '\\n' ' ')" >&2
  exit 1
fi`;
}

/** Shell that sets MASTER to the address the sentinels report, or empty when none answers. */
function askSentinels(sentinels: string[], masterName: string): string {
  return `MASTER=""
for s in ${sentinels.join(' ')}; do
  reply=$(timeout 3 redis-cli -h "$s" -p 26379 --raw SENTINEL get-master-addr-by-name ${masterName} 2>/dev/null | head -n 1 || true)
  if [ -n "$reply" ]; then MASTER="$reply"; break; fi
done`;
}

/** Options of the start scripts. */
export interface SentinelScriptOptions {
  /** FQDNs of the redis pods, pod 0 first. */
  redisHosts: string[];
  /** FQDNs of the sentinel pods. */
  sentinelHosts: string[];
  /** Master name the sentinels monitor. */
  masterName: string;
}

/** redis-server's start script: master only when no sentinel knows one and this is pod 0. */
export function redisStartScript(o: SentinelScriptOptions): string {
  return `#!/bin/sh
set -eu
SELF="$(hostname).${o.redisHosts[0]!.split('.').slice(1).join('.')}"
${SUBSTITUTE_PASSWORDS}
${askSentinels(o.sentinelHosts, o.masterName)}
if [ -z "$MASTER" ]; then
  # No sentinel answers: a first start. Pod 0 is the master, the others replicate it.
  MASTER="${o.redisHosts[0]}"
fi
if [ "$MASTER" = "$SELF" ]; then
  cp /config/redis-master.conf /data/redis.conf
else
  sed "s|@@MASTER_HOST@@|$MASTER|g" /config/redis-replica.conf > /data/redis.conf
fi
sed -i "s|@@SELF_HOST@@|$SELF|g" /data/redis.conf
fill_passwords /data/redis.conf
${checkPasswordsFilled('/data/redis.conf')}
echo "starting redis as $( [ "$MASTER" = "$SELF" ] && echo master || echo "replica of $MASTER" )"
exec redis-server /data/redis.conf
`;
}

/** Sentinel's start script: monitors the master its peers report, else pod 0. */
export function sentinelStartScript(o: SentinelScriptOptions): string {
  return `#!/bin/sh
set -eu
SELF="$(hostname).${o.sentinelHosts[0]!.split('.').slice(1).join('.')}"
${SUBSTITUTE_PASSWORDS}
${askSentinels(o.sentinelHosts, o.masterName)}
[ -n "$MASTER" ] || MASTER="${o.redisHosts[0]}"
# Sentinel rewrites its file, so it runs from a writable copy.
sed -e "s|@@MASTER_HOST@@|$MASTER|g" -e "s|@@SELF_HOST@@|$SELF|g" /config/sentinel.conf > /data/sentinel.conf
fill_passwords /data/sentinel.conf
${checkPasswordsFilled('/data/sentinel.conf')}
exec redis-sentinel /data/sentinel.conf
`;
}
