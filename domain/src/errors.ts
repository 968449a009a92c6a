/** Base of every error the domain throws: a stable `code` to branch on, the `cause` kept. */
export class DomainError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option passed to a domain component is missing or out of range; the message names it. */
export class InvalidOptionError extends DomainError {
  constructor(option: string, message: string) {
    super('INVALID_OPTION', `option ${option}: ${message}`);
  }
}

/** An event or market ticker that does not follow `KXBTCD-YYMONDDHH[-T<strike>]`. */
export class InvalidTickerError extends DomainError {
  readonly ticker: string;

  constructor(ticker: string, reason: string) {
    super('INVALID_TICKER', `invalid ticker ${JSON.stringify(ticker)}: ${reason}`);
    this.ticker = ticker;
  }
}

/** An instant that cannot be an event's close (not finite, or not a top of the hour). */
export class InvalidCloseTimeError extends DomainError {
  constructor(closeMs: number, reason: string) {
    super('INVALID_CLOSE_TIME', `invalid close time ${closeMs}: ${reason}`);
  }
}

/** A row of a probability lookup table that cannot be loaded; the message names the row. */
export class InvalidTableRowError extends DomainError {
  readonly row: number;

  constructor(row: number, reason: string) {
    super('INVALID_TABLE_ROW', `lookup table row ${row}: ${reason}`);
    this.row = row;
  }
}

/** A money amount or count outside its domain (prices 1..99 cents, integer cents, count ≥ 1). */
export class InvalidAmountError extends DomainError {
  constructor(field: string, value: number, expected: string) {
    super('INVALID_AMOUNT', `${field} = ${value}: expected ${expected}`);
  }
}
