import { describe, expect, it } from 'vitest';
import { isJsonText } from './json-check.js';
import { firstInvalidJsonLine } from './json-lines.js';

// Sizes a 10 MiB request body can reach: the regular expressions keep a
// backtracking entry per repetition and must neither overflow nor slow down.
describe('JSON checks on very large input', () => {
  it('checks millions of lines without a RangeError, naming the bad one', () => {
    const lines = 3_000_000;
    const good = '{}\n'.repeat(lines);
    expect(firstInvalidJsonLine(good)).toBe(0);
    expect(firstInvalidJsonLine(`${good}{"a":}\n{}`)).toBe(lines + 1);
    expect(firstInvalidJsonLine(`{"a":[1]}\n${good}`)).toBe(0); // the scan, then the expression again
  });

  it('checks a flat object of millions of members', () => {
    const wide = `{${Array.from({ length: 1_500_000 }, (_, i) => `"k${i % 7}":${i % 10}`).join(',')}}`;
    expect(isJsonText(wide, 0, wide.length)).toBe(true);
    expect(isJsonText(`${wide.slice(0, -1)},}`, 0, wide.length + 1)).toBe(false);
    expect(firstInvalidJsonLine(`{}\n${wide}\n{}`)).toBe(0);
    expect(firstInvalidJsonLine(`{}\n${wide.slice(0, -1)}\n{}`)).toBe(2);
  });
});
