/** A user's auto-entry settings (DOMAIN.md "Auto entry"). */
export interface AutoEntrySettings {
  enabled: boolean;
  /** Percent; the active side's model probability must reach it. */
  minProbability: number;
  /** Probability (%) minus ask (cents) the active side must reach. */
  minDifferential: number;
  /** Entry window on TTC, seconds: minTimeSeconds ≤ TTC ≤ maxTimeSeconds. */
  minTimeSeconds: number;
  maxTimeSeconds: number;
  /** Momentum points (momentum % × 100, unclamped) at which auto entry pauses. */
  spikeThreshold: number;
  /** Momentum points |m| must stay below, for cooldownMinutes, before entry resumes. */
  cooldownThreshold: number;
  cooldownMinutes: number;
  /** Contracts per entry before the multiplier. */
  positionSize: number;
  multiplier: number;
}

/** A user's auto-stop settings (DOMAIN.md "Auto stop"). */
export interface AutoStopSettings {
  enabled: boolean;
  /** Percent; below it (after minHoldSeconds) the trade closes. */
  stopProbability: number;
  minHoldSeconds: number;
  /** Re-check a probability breach after verificationSeconds before closing. */
  verificationEnabled: boolean;
  verificationSeconds: number;
  /** Close on a momentum spike against the trade; the threshold is autoEntry.spikeThreshold. */
  momentumSpikeEnabled: boolean;
}

/** All of a user's trading settings. */
export interface Settings {
  autoEntry: AutoEntrySettings;
  autoStop: AutoStopSettings;
}

/** A partial update of {@link Settings}, one level deep. */
export interface SettingsPatch {
  autoEntry?: Partial<AutoEntrySettings>;
  autoStop?: Partial<AutoStopSettings>;
}

/**
 * The defaults of DOMAIN.md. Verification is off by default (DOMAIN.md calls it optional);
 * the momentum-spike stop is on (a safety net).
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  autoEntry: Object.freeze({
    enabled: false,
    minProbability: 95,
    minDifferential: 0.25,
    minTimeSeconds: 120,
    maxTimeSeconds: 900,
    spikeThreshold: 36,
    cooldownThreshold: 30,
    cooldownMinutes: 15,
    positionSize: 1,
    multiplier: 1,
  }),
  autoStop: Object.freeze({
    enabled: true,
    stopProbability: 40,
    minHoldSeconds: 60,
    verificationEnabled: false,
    verificationSeconds: 15,
    momentumSpikeEnabled: true,
  }),
});

/** Stable codes of a settings field error. */
export type SettingsErrorCode =
  'NOT_AN_OBJECT' | 'UNKNOWN_FIELD' | 'WRONG_TYPE' | 'NOT_AN_INTEGER' | 'OUT_OF_RANGE' | 'INCONSISTENT';

/** One rejected field, e.g. `{ field: 'autoEntry.positionSize', code: 'OUT_OF_RANGE', … }`. */
export interface SettingsFieldError {
  field: string;
  code: SettingsErrorCode;
  message: string;
}

/** The merged settings, or every field error of the patch (nothing merged then). */
export type SettingsParseResult = { ok: true; settings: Settings } | { ok: false; errors: SettingsFieldError[] };

/**
 * The most contracts one trade may buy: an order's count (manual or auto). Auto entry buys
 * positionSize × multiplier, so settings whose product exceeds it are refused.
 */
export const MAX_TRADE_COUNT = 10_000;

type FieldSpec = { kind: 'boolean' } | { kind: 'number' | 'integer'; min: number; max: number };

const AUTO_ENTRY_FIELDS: Record<keyof AutoEntrySettings, FieldSpec> = {
  enabled: { kind: 'boolean' },
  minProbability: { kind: 'number', min: 0, max: 100 },
  minDifferential: { kind: 'number', min: -100, max: 100 },
  minTimeSeconds: { kind: 'integer', min: 0, max: 3600 },
  maxTimeSeconds: { kind: 'integer', min: 0, max: 3600 },
  spikeThreshold: { kind: 'number', min: 1, max: 1000 },
  cooldownThreshold: { kind: 'number', min: 0, max: 1000 },
  cooldownMinutes: { kind: 'integer', min: 0, max: 1440 },
  positionSize: { kind: 'integer', min: 1, max: 1000 },
  multiplier: { kind: 'integer', min: 1, max: 100 },
};

const AUTO_STOP_FIELDS: Record<keyof AutoStopSettings, FieldSpec> = {
  enabled: { kind: 'boolean' },
  stopProbability: { kind: 'number', min: 0, max: 100 },
  minHoldSeconds: { kind: 'integer', min: 0, max: 3600 },
  verificationEnabled: { kind: 'boolean' },
  verificationSeconds: { kind: 'integer', min: 1, max: 300 },
  momentumSpikeEnabled: { kind: 'boolean' },
};

const GROUPS = { autoEntry: AUTO_ENTRY_FIELDS, autoStop: AUTO_STOP_FIELDS } as const;

/**
 * Validates a partial settings patch (untrusted JSON) and merges it over `current`. Ranges:
 * probabilities 0..100, minDifferential ±100, times 0..3600 s (integers), positionSize 1..1000
 * and multiplier 1..100 (integers), spikeThreshold 1..1000, cooldownMinutes 0..1440,
 * verificationSeconds 1..300; and across fields minTimeSeconds ≤ maxTimeSeconds,
 * cooldownThreshold ≤ spikeThreshold (otherwise entry could never resume calmly) and
 * positionSize × multiplier ≤ MAX_TRADE_COUNT (an auto entry's count).
 */
export function parseSettingsPatch(current: Settings, patch: unknown): SettingsParseResult {
  const errors: SettingsFieldError[] = [];
  if (!isPlainObject(patch))
    return { ok: false, errors: [fieldError('', 'NOT_AN_OBJECT', 'the patch must be an object')] };
  const merged: Settings = { autoEntry: { ...current.autoEntry }, autoStop: { ...current.autoStop } };
  const touched = new Set<string>();
  for (const [groupName, groupPatch] of Object.entries(patch)) {
    if (groupName !== 'autoEntry' && groupName !== 'autoStop') {
      errors.push(fieldError(groupName, 'UNKNOWN_FIELD', 'unknown settings group'));
      continue;
    }
    if (!isPlainObject(groupPatch)) {
      errors.push(fieldError(groupName, 'NOT_AN_OBJECT', 'must be an object'));
      continue;
    }
    const specs: Record<string, FieldSpec> = GROUPS[groupName];
    const target = merged[groupName] as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(groupPatch)) {
      const field = `${groupName}.${name}`;
      const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
      if (spec === undefined) {
        errors.push(fieldError(field, 'UNKNOWN_FIELD', 'unknown field'));
        continue;
      }
      const error = checkField(field, spec, value);
      if (error !== null) {
        errors.push(error);
        continue;
      }
      target[name] = value;
      touched.add(field);
    }
  }
  if (errors.length === 0) errors.push(...crossFieldErrors(merged.autoEntry, touched));
  return errors.length === 0 ? { ok: true, settings: merged } : { ok: false, errors };
}

function checkField(field: string, spec: FieldSpec, value: unknown): SettingsFieldError | null {
  if (spec.kind === 'boolean') {
    return typeof value === 'boolean' ? null : fieldError(field, 'WRONG_TYPE', 'must be a boolean');
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    return fieldError(field, 'WRONG_TYPE', 'must be a finite number');
  if (spec.kind === 'integer' && !Number.isInteger(value))
    return fieldError(field, 'NOT_AN_INTEGER', 'must be an integer');
  if (value < spec.min || value > spec.max) {
    return fieldError(field, 'OUT_OF_RANGE', `must be within ${spec.min}..${spec.max}`);
  }
  return null;
}

// A cross-field error names the patched field (the one the user just changed), so the form can
// point at it; when both were patched, the first of the pair.
function crossFieldErrors(entry: AutoEntrySettings, touched: ReadonlySet<string>): SettingsFieldError[] {
  const errors: SettingsFieldError[] = [];
  const blame = (a: string, b: string): string => (touched.has(a) || !touched.has(b) ? a : b);
  if (entry.minTimeSeconds > entry.maxTimeSeconds) {
    errors.push(
      fieldError(
        blame('autoEntry.minTimeSeconds', 'autoEntry.maxTimeSeconds'),
        'INCONSISTENT',
        `minTimeSeconds (${entry.minTimeSeconds}) must not exceed maxTimeSeconds (${entry.maxTimeSeconds})`,
      ),
    );
  }
  // Only when one of them is changed: settings stored before the bound existed stay editable.
  const sizeTouched = touched.has('autoEntry.positionSize') || touched.has('autoEntry.multiplier');
  if (sizeTouched && entry.positionSize * entry.multiplier > MAX_TRADE_COUNT) {
    errors.push(
      fieldError(
        blame('autoEntry.positionSize', 'autoEntry.multiplier'),
        'INCONSISTENT',
        `positionSize × multiplier (${entry.positionSize} × ${entry.multiplier}) must not exceed ${MAX_TRADE_COUNT} contracts a trade`,
      ),
    );
  }
  if (entry.cooldownThreshold > entry.spikeThreshold) {
    errors.push(
      fieldError(
        blame('autoEntry.cooldownThreshold', 'autoEntry.spikeThreshold'),
        'INCONSISTENT',
        `cooldownThreshold (${entry.cooldownThreshold}) must not exceed spikeThreshold (${entry.spikeThreshold})`,
      ),
    );
  }
  return errors;
}

function fieldError(field: string, code: SettingsErrorCode, message: string): SettingsFieldError {
  return { field, code, message };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
