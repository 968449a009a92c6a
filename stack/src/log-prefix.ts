/** The name under which the supervisor writes its own lines. */
export const STACK_NAME = 'stack';

// Foreground colours that read on dark and light terminals; red is left for nobody so that an
// error line a child colours itself still stands out.
const PALETTE = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94] as const;
const RESET = '\u001b[0m';

/**
 * Builds the `[name] ` prefixes of a set of process names: padded to the longest so the lines
 * align, coloured (one colour per process, the supervisor's own dimmed) when `color` is set. The
 * line after the prefix is never touched, so JSON log lines stay parseable after the prefix.
 */
export function prefixes(names: readonly string[], color: boolean): Map<string, string> {
  const all = [STACK_NAME, ...names.filter((n) => n !== STACK_NAME)];
  const width = Math.max(...all.map((n) => n.length)) + 2;
  const out = new Map<string, string>();
  all.forEach((name, i) => {
    const label = `[${name}]`.padEnd(width);
    if (!color) out.set(name, `${label} `);
    else if (name === STACK_NAME) out.set(name, `\u001b[1;90m${label}${RESET} `);
    else out.set(name, `\u001b[${PALETTE[(i - 1) % PALETTE.length]}m${label}${RESET} `);
  });
  return out;
}

/** A fixed-size buffer of the last lines a process printed (for error messages). */
export class LastLines {
  private readonly lines: string[] = [];

  constructor(private readonly size = 20) {}

  /** Remembers a line, forgetting the oldest beyond `size`. */
  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  /** The remembered lines, oldest first. */
  get(): string[] {
    return [...this.lines];
  }

  /** Forgets everything (a new run of the process). */
  clear(): void {
    this.lines.length = 0;
  }
}
