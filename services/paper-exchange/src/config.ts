import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { servicePort } from '@recio/platform';
import { z } from 'zod';
import type { PriceShock } from './price-path.js';
import type { PaperAccount } from './server.js';
import type { ClockMode } from './sim-clock.js';

/** The validated environment of the paper exchange. */
export interface PaperExchangeConfig {
  port: number;
  seed: string;
  clock: ClockMode;
  /** Simulated start (ms); undefined = now. */
  startMs: number | undefined;
  speed: number;
  tickSeconds: number;
  startPrice: number;
  shocks: PriceShock[];
  accounts: PaperAccount[];
  adminToken: string | undefined;
  logLevel: string;
}

/** A bad environment variable; the message names it. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  readonly variable: string;

  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super(`${variable}: ${message}`, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const ShockSchema = z.object({ atMs: z.number().min(0), pct: z.number().gt(-100), overSeconds: z.number().min(1) });
const AccountEntrySchema = z
  .object({
    key_id: z.string().min(1),
    public_key_pem: z.string().min(1).optional(),
    public_key_pem_file: z.string().min(1).optional(),
    balance_cents: z.number().int().min(0),
  })
  .refine((a) => (a.public_key_pem === undefined) !== (a.public_key_pem_file === undefined), {
    message: 'exactly one of public_key_pem or public_key_pem_file',
  });

const SCALARS = {
  PORT: z.coerce.number().int().min(0).max(65535).default(servicePort('paper-exchange')),
  PAPER_SEED: z.string().min(1).default('1'),
  PAPER_CLOCK: z.enum(['realtime', 'stepped']).default('realtime'),
  PAPER_START: z.iso.datetime({ offset: true }).optional(),
  PAPER_SPEED: z.coerce.number().positive().max(100_000).default(1),
  PAPER_TICK_SECONDS: z.coerce.number().int().min(1).max(3600).default(1),
  PAPER_START_PRICE: z.coerce.number().positive().default(100_000),
  PAPER_ADMIN_TOKEN: z.string().min(8, 'at least 8 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} as const;

function scalar<K extends keyof typeof SCALARS>(env: NodeJS.ProcessEnv, name: K): z.output<(typeof SCALARS)[K]> {
  const raw = env[name];
  const result = SCALARS[name].safeParse(raw === '' ? undefined : raw);
  if (!result.success) throw new ConfigError(name, result.error.issues[0]?.message ?? 'invalid');
  return result.data as z.output<(typeof SCALARS)[K]>;
}

function json(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(name, 'not valid JSON', { cause: error });
  }
}

function loadAccounts(file: string): PaperAccount[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('PAPER_ACCOUNTS_FILE', `cannot read ${file}`, { cause: error });
  }
  const parsed = z.array(AccountEntrySchema).safeParse(json('PAPER_ACCOUNTS_FILE', text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError('PAPER_ACCOUNTS_FILE', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.map((entry) => {
    let pem = entry.public_key_pem;
    if (pem === undefined) {
      const path = resolve(dirname(file), entry.public_key_pem_file as string);
      try {
        pem = readFileSync(path, 'utf8');
      } catch (error) {
        throw new ConfigError('PAPER_ACCOUNTS_FILE', `account ${entry.key_id}: cannot read ${path}`, { cause: error });
      }
    }
    return { keyId: entry.key_id, publicKeyPem: pem, balanceCents: entry.balance_cents };
  });
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaperExchangeConfig {
  const start = scalar(env, 'PAPER_START');
  let shocks: PriceShock[] = [];
  if (env.PAPER_SHOCKS) {
    const parsed = z.array(ShockSchema).safeParse(json('PAPER_SHOCKS', env.PAPER_SHOCKS));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError('PAPER_SHOCKS', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    shocks = parsed.data;
  }
  return {
    port: scalar(env, 'PORT'),
    seed: scalar(env, 'PAPER_SEED'),
    clock: scalar(env, 'PAPER_CLOCK'),
    startMs: start === undefined ? undefined : Date.parse(start),
    speed: scalar(env, 'PAPER_SPEED'),
    tickSeconds: scalar(env, 'PAPER_TICK_SECONDS'),
    startPrice: scalar(env, 'PAPER_START_PRICE'),
    shocks,
    accounts: env.PAPER_ACCOUNTS_FILE ? loadAccounts(env.PAPER_ACCOUNTS_FILE) : [],
    adminToken: scalar(env, 'PAPER_ADMIN_TOKEN'),
    logLevel: scalar(env, 'LOG_LEVEL'),
  };
}
