/** Base of every error the stack throws: a stable `code` to branch on, the `cause` kept. */
export class StackError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option passed to a component is missing or out of range; the message names it. */
export class InvalidOptionError extends StackError {
  constructor(option: string, message: string) {
    super('INVALID_OPTION', `option ${option}: ${message}`);
  }
}

/** A process name that the supervisor does not know. */
export class UnknownProcessError extends StackError {
  constructor(name: string) {
    super('UNKNOWN_PROCESS', `no process named ${JSON.stringify(name)}`);
  }
}

/** An operation that only makes sense for a `service` was asked of a `oneshot`. */
export class NotAServiceError extends StackError {
  constructor(name: string) {
    super('NOT_A_SERVICE', `${name} is a oneshot, not a service`);
  }
}

/** A oneshot (e.g. migrations) exited with something other than code 0; its last output is kept. */
export class OneshotFailedError extends StackError {
  readonly process: string;
  readonly lastLines: readonly string[];

  constructor(name: string, how: string, lastLines: readonly string[], options?: { cause?: unknown }) {
    super('ONESHOT_FAILED', `${name} failed (${how})${formatLines(lastLines)}`, options);
    this.process = name;
    this.lastLines = lastLines;
  }
}

/** A service did not answer 200 on its readiness URL in time; its last output is kept. */
export class ReadyTimeoutError extends StackError {
  readonly process: string;
  readonly lastLines: readonly string[];

  constructor(name: string, timeoutMs: number, lastLines: readonly string[]) {
    super('READY_TIMEOUT', `${name} was not ready within ${timeoutMs} ms${formatLines(lastLines)}`);
    this.process = name;
    this.lastLines = lastLines;
  }
}

/** The supervisor is stopping or stopped; nothing new is started. */
export class StoppedError extends StackError {
  constructor() {
    super('STOPPED', 'the supervisor is stopping');
  }
}

/** An environment variable of the `make dev` entry point is malformed; the message names it. */
export class StackConfigError extends StackError {
  constructor(variable: string, message: string) {
    super('INVALID_CONFIG', `${variable}: ${message}`);
  }
}

function formatLines(lines: readonly string[]): string {
  return lines.length === 0 ? '; it printed nothing' : `; its last output:\n  ${lines.join('\n  ')}`;
}
