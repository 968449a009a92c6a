import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; a longer one is cut into pieces so a child cannot grow our memory. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Cuts a byte stream into lines. Multi-byte characters split across chunks are decoded whole, `\r\n`
 * counts as one break, and `end()` returns the last line even without a trailing newline (a child
 * that writes a partial line and exits must not lose it).
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    return this.take();
  }

  /** Ends the stream; returns what was left (a partial last line), if anything. */
  end(): string[] {
    this.pending += this.decoder.end();
    const lines = this.take();
    if (this.pending.length > 0) lines.push(stripCr(this.pending));
    this.pending = '';
    return lines;
  }

  private take(): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl !== -1; nl = this.pending.indexOf('\n', start)) {
      lines.push(stripCr(this.pending.slice(start, nl)));
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    while (this.pending.length > MAX_LINE_CHARS) {
      lines.push(this.pending.slice(0, MAX_LINE_CHARS));
      this.pending = this.pending.slice(MAX_LINE_CHARS);
    }
    return lines;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
