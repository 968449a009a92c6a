/**
 * Errors raised while building the charts. Each has a stable `code`; callers branch on the code,
 * never on the message text.
 */

/** The chart configuration is invalid; `issues` lists each bad option as `path: message`. */
export class ChartConfigError extends Error {
  override readonly name = 'ChartConfigError';
  readonly code = 'ERR_CDK8S_CONFIG';
  constructor(
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid chart configuration: ${issues.join('; ')}`, options);
  }
}

/** A service in @recio/platform reads an environment variable the charts do not know how to fill. */
export class UnknownEnvVarError extends Error {
  override readonly name = 'UnknownEnvVarError';
  readonly code = 'ERR_CDK8S_UNKNOWN_ENV';
  constructor(
    readonly service: string,
    readonly variable: string,
  ) {
    super(`${service}: no source for environment variable ${variable} (add it to cdk8s/src/service-env.ts)`);
  }
}
