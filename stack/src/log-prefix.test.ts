import { describe, expect, it } from 'vitest';
import { LastLines, prefixes } from './log-prefix.js';

describe('prefixes', () => {
  it("pads every label to the longest, the supervisor's own included", () => {
    const p = prefixes(['api', 'trade-manager'], false);
    // "[trade-manager]" is 15 characters: every label is padded to 15, then one space.
    expect(p.get('api')).toBe('[api]           ');
    expect(p.get('trade-manager')).toBe('[trade-manager] ');
    expect(p.get('stack')).toBe('[stack]         ');
    expect(prefixes(['a'], false).get('a')).toBe('[a]     '); // "[stack]" (7) is the longest
  });

  it('colours only the label, so the line after it stays as the child wrote it', () => {
    const p = prefixes(['api', 'db'], true);
    // Padded to "[stack]" (7) inside the colour, one plain space after it.
    expect(p.get('api')).toBe('\u001b[36m[api]  \u001b[0m ');
    expect(p.get('db')).toBe('\u001b[32m[db]   \u001b[0m ');
    expect(p.get('stack')).toBe('\u001b[1;90m[stack]\u001b[0m ');
  });
});

describe('LastLines', () => {
  it('keeps the last N lines, oldest first', () => {
    const l = new LastLines(2);
    ['a', 'b', 'c'].forEach((x) => l.add(x));
    expect(l.get()).toEqual(['b', 'c']);
    l.clear();
    expect(l.get()).toEqual([]);
  });
});
