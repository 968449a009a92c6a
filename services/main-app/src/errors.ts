import type { SettingsFieldError } from '@recio/domain';

/** Base of main-app's own errors: a stable `code` to branch on, the `cause` kept. */
export class MainAppError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The API tokens file is missing, unreadable or malformed; the message names the file. */
export class TokenFileError extends MainAppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_TOKENS_FILE', message, options);
  }
}

/** A settings patch the domain refused; carries every field error (sent as a 400). */
export class SettingsRejectedError extends MainAppError {
  readonly fields: SettingsFieldError[];

  constructor(fields: SettingsFieldError[]) {
    super('INVALID_SETTINGS', `settings rejected: ${fields.map((f) => `${f.field || '(root)'} ${f.code}`).join(', ')}`);
    this.fields = fields;
  }
}

/** An option passed to a component is missing or out of range; the message names it. */
export class InvalidOptionError extends MainAppError {
  constructor(option: string, message: string) {
    super('INVALID_OPTION', `option ${option}: ${message}`);
  }
}
