import { readFileSync } from 'node:fs';
import type { RedisClient } from './connection.js';

// `../../src/scripts` is router/src/scripts both from src/redis (tests) and dist/redis (built).
const SCRIPTS_DIR = new URL('../../src/scripts/', import.meta.url);

function load(name: string): string {
  return readFileSync(new URL(`${name}.lua`, SCRIPTS_DIR), 'utf8');
}

/** Outcome of the append script (see scripts/append.lua). */
export type AppendStatus = 'appended' | 'duplicate' | 'gap';

/** The reply of the append script: status and the stream's last seq afterwards. */
export interface AppendReply {
  status: AppendStatus;
  last: number;
}

/** One event as the append script takes it. */
export interface AppendEntry {
  event_id: string;
  type: string;
  source: string;
  ts: number;
  dataText: string;
}

interface ScriptedClient {
  recioAppend(key: string, ...args: (string | number)[]): Promise<[AppendStatus, number]>;
  recioLastSeq(key: string): Promise<number>;
}

const APPEND = load('append');
const LAST_SEQ = load('last-seq');

/**
 * Registers the router's Lua scripts on a client (EVALSHA with EVAL fallback, per node in
 * Cluster) and calls them with typed arguments. Every script touches one key only.
 */
export class RouterScripts {
  readonly #client: RedisClient & ScriptedClient;

  constructor(client: RedisClient) {
    client.defineCommand('recioAppend', { numberOfKeys: 1, lua: APPEND });
    client.defineCommand('recioLastSeq', { numberOfKeys: 1, lua: LAST_SEQ });
    this.#client = client as RedisClient & ScriptedClient;
  }

  /** Runs append.lua: CAS-append a run of consecutive events starting at `firstSeq`. */
  async append(
    key: string,
    channel: string,
    firstSeq: number,
    entries: readonly AppendEntry[],
    options: { jumpFrom: number; maxLen: number; announceChannel: string },
  ): Promise<AppendReply> {
    const args: (string | number)[] = [channel, firstSeq, options.jumpFrom, options.maxLen, options.announceChannel];
    for (const e of entries) args.push(e.event_id, e.type, e.source, e.ts, e.dataText);
    const [status, last] = await this.#client.recioAppend(key, ...args);
    return { status, last: Number(last) };
  }

  /** Runs last-seq.lua: the stream's last seq, 0 when it does not exist. */
  async lastSeq(key: string): Promise<number> {
    return Number(await this.#client.recioLastSeq(key));
  }
}
