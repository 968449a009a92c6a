import { readFileSync } from 'node:fs';
import type { RedisClient } from './connection.js';

// `../../src/scripts` is router/src/scripts both from src/redis (tests) and dist/redis (built).
const SCRIPTS_DIR = new URL('../../src/scripts/', import.meta.url);

function load(name: string): string {
  return readFileSync(new URL(`${name}.lua`, SCRIPTS_DIR), 'utf8');
}

/** append.lua's jump-from that allows any hole: a latest-value channel's seqs are versions. */
export const ANY_HOLE = -2;

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

/** The reply of the trim-ahead script (see scripts/trim-ahead.lua). */
export interface TrimAheadReply {
  /** Entries deleted from above the head. */
  removed: number;
  /** The stream's last seq afterwards. */
  last: number;
  /** Consumer groups moved back to the stream's real end. */
  groups: number;
}

interface ScriptedClient {
  recioAppend(key: string, ...args: (string | number)[]): Promise<[AppendStatus, number]>;
  recioLastSeq(key: string): Promise<number>;
  recioTrimAhead(key: string, head: number, expectedTop: string): Promise<[number, number, number]>;
}

const APPEND = load('append');
const LAST_SEQ = load('last-seq');
const TRIM_AHEAD = load('trim-ahead');

/**
 * Registers the router's Lua scripts on a client (EVALSHA with EVAL fallback, per node in
 * Cluster) and calls them with typed arguments. Every script touches one key only.
 */
export class RouterScripts {
  readonly #client: RedisClient & ScriptedClient;

  constructor(client: RedisClient) {
    client.defineCommand('recioAppend', { numberOfKeys: 1, lua: APPEND });
    client.defineCommand('recioLastSeq', { numberOfKeys: 1, lua: LAST_SEQ });
    client.defineCommand('recioTrimAhead', { numberOfKeys: 1, lua: TRIM_AHEAD });
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

  /**
   * Runs trim-ahead.lua: deletes entries above `head` and moves back groups delivered past the real
   * end, if the stream still ends at `expectedTop`; null when it does not (the view is old).
   */
  async trimAhead(key: string, head: number, expectedTop: string): Promise<TrimAheadReply | null> {
    const [removed, last, groups] = await this.#client.recioTrimAhead(key, head, expectedTop);
    if (Number(last) < 0) return null;
    return { removed: Number(removed), last: Number(last), groups: Number(groups) };
  }

  /** The id of the stream's last entry, or null for an empty or missing stream. */
  async topId(key: string): Promise<string | null> {
    const [top] = await this.#client.xrevrange(key, '+', '-', 'COUNT', 1);
    return top?.[0] ?? null;
  }

  /** Runs last-seq.lua: the stream's last seq, 0 when it does not exist. */
  async lastSeq(key: string): Promise<number> {
    return Number(await this.#client.recioLastSeq(key));
  }
}
