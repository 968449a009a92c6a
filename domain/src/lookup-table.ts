import { InvalidOptionError, InvalidTableRowError } from './errors.js';
import { MOMENTUM_BUCKET_LIMIT, momentumBucket } from './momentum.js';
import {
  NO_DATA_PROBABILITY,
  clampProbability,
  hasProbabilityData,
  type ProbabilityInput,
  type ProbabilityModel,
} from './probability.js';
import { activeSide } from './side.js';

/**
 * One row of a fitted table: the percent chance that the side in the money at the moment
 * (activeSide: YES when strike < price) is still in the money at the close.
 */
export interface LookupRow {
  /** floor(ttcSeconds / ttcBucketSeconds). */
  ttcBucket: number;
  /** floor(|price − strike| / bufferBucketDollars). */
  bufferBucket: number;
  /**
   * momentumBucket of the momentum signed towards the money: as is for an in-the-money YES, negated
   * for an in-the-money NO, so +10 always means "moving further into the money".
   */
  momentumBucket: number;
  /** Percent, 0..100. */
  probability: number;
}

/** Options of {@link LookupTableModel}. */
export interface LookupTableOptions {
  /** Width of a TTC bucket in seconds. @defaultValue 60 */
  ttcBucketSeconds?: number;
  /** Width of a buffer bucket in dollars. @defaultValue 10 */
  bufferBucketDollars?: number;
}

/** The defaults spread under the caller's {@link LookupTableOptions}. */
export const DEFAULT_LOOKUP_TABLE_OPTIONS: Required<LookupTableOptions> = {
  ttcBucketSeconds: 60,
  bufferBucketDollars: 10,
};

/**
 * A fitted table keyed by (TTC bucket, buffer bucket, momentum bucket) that answers for the
 * in-the-money side (the other side gets 100 − p), falling back to another model for keys the
 * table lacks. Same bounds as every model: [0.1, 99.9], and 50 without data. A null momentum
 * looks up bucket 0.
 */
export class LookupTableModel implements ProbabilityModel {
  private readonly opts: Required<LookupTableOptions>;

  private constructor(
    private readonly table: ReadonlyMap<string, number>,
    private readonly fallback: ProbabilityModel,
    options: LookupTableOptions,
  ) {
    this.opts = { ...DEFAULT_LOOKUP_TABLE_OPTIONS, ...options };
    for (const name of ['ttcBucketSeconds', 'bufferBucketDollars'] as const) {
      const value = this.opts[name];
      if (!(value > 0) || !Number.isFinite(value)) throw new InvalidOptionError(name, 'must be a positive number');
    }
  }

  /**
   * Loads a table from rows (e.g. parsed from a CSV).
   * @throws InvalidTableRowError for a malformed or duplicate row, naming its index.
   */
  static fromRows(
    rows: readonly LookupRow[],
    fallback: ProbabilityModel,
    options: LookupTableOptions = {},
  ): LookupTableModel {
    const table = new Map<string, number>();
    rows.forEach((row, index) => {
      if (!Number.isInteger(row.ttcBucket) || row.ttcBucket < 0)
        throw new InvalidTableRowError(index, 'ttcBucket must be an integer ≥ 0');
      if (!Number.isInteger(row.bufferBucket) || row.bufferBucket < 0) {
        throw new InvalidTableRowError(index, 'bufferBucket must be an integer ≥ 0');
      }
      if (!Number.isInteger(row.momentumBucket) || Math.abs(row.momentumBucket) > MOMENTUM_BUCKET_LIMIT) {
        throw new InvalidTableRowError(index, `momentumBucket must be an integer within ±${MOMENTUM_BUCKET_LIMIT}`);
      }
      if (!Number.isFinite(row.probability) || row.probability < 0 || row.probability > 100) {
        throw new InvalidTableRowError(index, 'probability must be within 0..100');
      }
      const key = tableKey(row.ttcBucket, row.bufferBucket, row.momentumBucket);
      if (table.has(key)) throw new InvalidTableRowError(index, `duplicate key ${key}`);
      table.set(key, row.probability);
    });
    return new LookupTableModel(table, fallback, options);
  }

  /** Number of keys loaded. */
  get size(): number {
    return this.table.size;
  }

  /** The key an input looks up, `ttc:buffer:momentum`, or null without data. */
  keyOf(input: ProbabilityInput): string | null {
    if (!hasProbabilityData(input)) return null;
    const price = input.price as number;
    const towardMoney = activeSide(price, input.strike) === 'yes' ? 1 : -1;
    return tableKey(
      Math.floor((input.ttcSeconds as number) / this.opts.ttcBucketSeconds),
      Math.floor(Math.abs(price - input.strike) / this.opts.bufferBucketDollars),
      momentumBucket(towardMoney * (input.momentum ?? 0)),
    );
  }

  probability(input: ProbabilityInput): number {
    const key = this.keyOf(input);
    if (key === null) return NO_DATA_PROBABILITY;
    const inMoney = this.table.get(key);
    if (inMoney === undefined) return this.fallback.probability(input);
    const side = activeSide(input.price as number, input.strike);
    return clampProbability(input.side === side ? inMoney : 100 - inMoney);
  }
}

function tableKey(ttc: number, buffer: number, momentum: number): string {
  return `${ttc}:${buffer}:${momentum}`;
}
