import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_CHECK_DEPTH, isJsonText } from './json-check.js';
import { mutate } from './test-helpers.js';

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

const check = (s: string): boolean => isJsonText(s, 0, s.length);

describe('isJsonText', () => {
  it('agrees with JSON.parse on hand-picked texts', () => {
    const texts = [
      '{}',
      ' { } ',
      '[]',
      '{"a":1}',
      '{"a":1,}',
      '{"a" : [1, 2.5e-3, -0, true, false, null, "x"]}',
      '{"a":{"b":{"c":[{}]}}}',
      '"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"',
      '"\\u00g9"',
      '"\\x41"',
      '"tab\tinside"',
      '"nul\u0000"',
      '"del\u007f and \u2028 and lone \ud800"',
      '\ufeff{}',
      '{"a":1}\r',
      '{"a":1}\n',
      '{"a":1}x',
      '{"a":1}{}',
      '01',
      '-',
      '-0.5',
      '1.',
      '.5',
      '1e',
      '1e+',
      '1E-7',
      '+1',
      'tru',
      'truex',
      'nul',
      'NaN',
      'Infinity',
      '',
      '   ',
      '{"a"}',
      '{"a":}',
      '{a:1}',
      "{'a':1}",
      '[1,]',
      '[,1]',
      '[1 2]',
      '{"a":1 "b":2}',
      '{"__proto__":{"x":1},"constructor":1}',
      '["unclosed',
      '{"a":[1,{"b":2]}',
      '{"a":[1,{"b":2}]}',
    ];
    for (const t of texts) expect([t, check(t)]).toEqual([t, parses(t)]);
  });

  it('agrees with JSON.parse on generated JSON and on mutations of it', () => {
    const json = fc.oneof(
      fc.json({ depthSize: 'medium' }),
      fc.json({ depthSize: 'small', stringUnit: 'binary' }),
      fc.json({ stringUnit: 'binary', maxDepth: 0 }),
      // Flat objects, the shape the regular expression takes, compact and indented.
      fc
        .tuple(
          fc.dictionary(
            fc.string({ unit: 'binary' }),
            fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.boolean(), fc.constant(null)),
          ),
          fc.constantFrom(undefined, 1, '\t'),
        )
        .map(([o, indent]) => JSON.stringify(o, null, indent)),
    );
    fc.assert(
      fc.property(json, (s) => check(s) === parses(s) && check(s)),
      { numRuns: 2000 },
    );
    const mutated = fc
      .tuple(
        json,
        fc.nat(),
        fc.constantFrom(
          '',
          '"',
          '\\',
          ',',
          ':',
          '{',
          '}',
          '[',
          ']',
          '\n',
          '\u0001',
          'e',
          '-',
          '0',
          ' ',
        ),
      )
      .map(([s, at, piece]) => mutate(s, at, piece));
    fc.assert(
      fc.property(mutated, (s) => check(s) === parses(s)),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => check(s) === parses(s)),
      {
        numRuns: 2000,
      },
    );
  });

  it('checks a range of a longer string, as lines of a body', () => {
    const body = '{"a":1}\n{"b":\n[1]';
    expect(isJsonText(body, 0, 7)).toBe(true);
    expect(isJsonText(body, 8, 13)).toBe(false); // would be valid only with the next line
    expect(isJsonText(body, 14, 17)).toBe(true);
  });

  it('leaves nesting deeper than it tracks to JSON.parse', () => {
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(check(deep(MAX_CHECK_DEPTH + 10))).toBe(true);
    expect(check(`${deep(MAX_CHECK_DEPTH + 10)}]`)).toBe(false);
    const objects = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    expect(check(objects(MAX_CHECK_DEPTH * 2))).toBe(true);
    expect(check(objects(MAX_CHECK_DEPTH * 2).slice(0, -1))).toBe(false);
  });
});
