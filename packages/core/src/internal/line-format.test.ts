import { describe, expect, it } from 'vitest';
import { LogMessage } from '../log-message.js';
import { escapeNewlines, lineFormatter } from './line-format.js';

const BREAKS = 'a\nb\rc\u0085d\u2028e\u2029f';

describe('line formats', () => {
  it('escapes every line break a reader might split on, in templates', () => {
    expect(escapeNewlines(BREAKS)).toBe('a\\nb\\rc\\u0085d\\u2028e\\u2029f');
    expect(escapeNewlines('plain')).toBe('plain');
    const line = lineFormatter('${MESSAGE}')(new LogMessage(BREAKS));
    expect(line.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(1);
  });

  it('writes NDJSON that parses back to the same values and holds no line break', () => {
    const msg = new LogMessage(BREAKS);
    msg.set('n', 1);
    const line = lineFormatter(undefined)(msg);
    expect(line.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(1);
    const back = JSON.parse(line) as Record<string, unknown>;
    expect(back.MESSAGE).toBe(BREAKS);
    expect(back.n).toBe(1);
    // The reference path (non-scalar values) is escaped the same way.
    msg.set('list', [BREAKS] as never);
    const ref = lineFormatter(undefined)(msg);
    expect(ref.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(1);
    expect((JSON.parse(ref) as { list: string[] }).list).toEqual([BREAKS]);
  });
});
