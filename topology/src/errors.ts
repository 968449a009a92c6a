/**
 * Errors raised by @recio/topology. Each has a stable `code`; callers branch on the code,
 * never on the message text.
 */

/** An option passed to a renderer or launcher is invalid; `option` names it. */
export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError';
  readonly code = 'ERR_TOPOLOGY_INVALID_OPTION';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** A required executable (redis-server, initdb, …) is not installed. */
export class BinaryNotFoundError extends Error {
  override readonly name = 'BinaryNotFoundError';
  readonly code = 'ERR_TOPOLOGY_BINARY_NOT_FOUND';
  constructor(
    readonly binary: string,
    /** What to install, e.g. "install Redis (apt-get install redis-server)". */
    readonly hint: string,
  ) {
    super(`${binary} not found on PATH: ${hint}`);
  }
}

/** Why a server did not become ready. */
export type ServerStartErrorCode = 'ERR_TOPOLOGY_SERVER_EXITED' | 'ERR_TOPOLOGY_START_TIMEOUT';

/** A spawned server exited during start-up or did not answer in time; the message ends with its log tail. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    readonly code: ServerStartErrorCode,
    message: string,
    /** The last lines of the server's log, also appended to the message. */
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super(logTail ? `${message}\n--- log tail ---\n${logTail}` : message, options);
  }
}

/** A topology (sentinels, cluster, failover) did not reach the awaited state in time. */
export class TopologyTimeoutError extends Error {
  override readonly name = 'TopologyTimeoutError';
  readonly code = 'ERR_TOPOLOGY_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * `recio-services ensure` cannot provide Redis or PostgreSQL: nothing answers at the configured
 * URL and the server binary is missing, or the server answers but refuses us. One line, says what to do.
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  readonly code = 'ERR_TOPOLOGY_SERVICE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
