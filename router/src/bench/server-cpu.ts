import { readdir, readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';

/**
 * CPU time the servers have used so far (ms), for the bench's cost of an event on the whole machine
 * beside its two Node processes. PostgreSQL: every process named `postgres` on this machine, from
 * /proc (its backends live as long as the bench's pooled connections, so a window between two
 * samples loses nothing); null when the database is not on this machine or there is no /proc.
 * Redis: its own count (INFO cpu), wherever it runs.
 */
export interface ServerCpu {
  postgresMs: number | null;
  redisMs: number;
  /**
   * The whole machine's busy time (ms, all cores): /proc/stat's time in every state but idle and
   * I/O wait. Beside the processes' own counts it holds what none of them is charged with: the
   * kernel's network work in softirq (every loopback round trip), interrupts, kernel threads. Null
   * without /proc, or when the database is not on this machine.
   */
  machineMs: number | null;
  /**
   * TCP segments the machine has sent (/proc/net/snmp's `Tcp: OutSegs`): on loopback every one is
   * also received, and each costs the kernel's network work above. Null as `machineMs`.
   */
  tcpSegments: number | null;
}

/** /proc's unit for a process's CPU times (USER_HZ, 100 on Linux whatever the kernel's own tick). */
const TICKS_PER_SECOND = 100;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Samples both servers' CPU time now. */
export async function serverCpu(redis: Redis, databaseUrl: string): Promise<ServerCpu> {
  const local = LOCAL_HOSTS.has(new URL(databaseUrl).hostname);
  const [postgresMs, redisMs, machineMs, tcpSegments] = await Promise.all([
    local ? postgresCpuMs() : Promise.resolve(null),
    redisCpuMs(redis),
    local ? machineBusyMs() : Promise.resolve(null),
    local ? tcpSegmentsSent() : Promise.resolve(null),
  ]);
  return { postgresMs, redisMs, machineMs, tcpSegments };
}

/** A /proc file's text, or null where there is no /proc. */
async function readProc(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function tcpSegmentsSent(): Promise<number | null> {
  const snmp = await readProc('/proc/net/snmp');
  if (snmp === null) return null;
  // Two lines per protocol: "Tcp: <names>" then "Tcp: <values>".
  const [names, values] = snmp.split('\n').filter((line) => line.startsWith('Tcp:'));
  const at = names?.split(/\s+/).indexOf('OutSegs') ?? -1;
  return at < 0 || values === undefined ? null : Number(values.split(/\s+/)[at]);
}

async function machineBusyMs(): Promise<number | null> {
  const stat = await readProc('/proc/stat');
  if (stat === null) return null;
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = stat
    .slice(0, stat.indexOf('\n'))
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

async function postgresCpuMs(): Promise<number | null> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // it exited meanwhile
    }
    // pid (comm) state … : comm may hold spaces and parentheses, so fields are counted after the last ')'.
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
    found = true;
  }
  return found ? (ticks * 1000) / TICKS_PER_SECOND : null;
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (value('used_cpu_sys') + value('used_cpu_user')) * 1000;
}
