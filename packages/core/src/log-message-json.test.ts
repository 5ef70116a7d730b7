import fc from 'fast-check';
import { describe, it, expect, vi } from 'vitest';
import { ErrorCode, ParseError } from './errors.js';
import { jsonFieldsFill } from './json-fill.js';
import { mutate } from './internal/test-helpers.js';
import { LogMessage, type JsonFill, type LogValue } from './log-message.js';

/** Object keys as typed fields, `message` as MESSAGE; any other value as MESSAGE. */
const fill: JsonFill = (msg, value) => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, LogValue>;
    for (const key in obj) msg.set(key === 'message' ? 'MESSAGE' : key, obj[key]!);
  } else msg.set('MESSAGE', value as LogValue);
};

function fields(msg: LogMessage): [string, LogValue][] {
  return [...msg.entries()];
}

describe('LogMessage.fromJsonText', () => {
  it('refuses what JSON.parse refuses', () => {
    for (const bad of ['', ' ', '{"a":1,}', '{"a":1}x', "{'a':1}", '\ufeff{}', '[1,]']) {
      expect(LogMessage.fromJsonText(bad, fill)).toBeUndefined();
    }
  });

  it('parses only when a field is read, once, with the types JSON.parse gives', () => {
    const spy = vi.fn(fill);
    const msg = LogMessage.fromJsonText(
      '{"message":"hi","n":1.5,"big":12345678901234567890,"ok":true,"nil":null,"o":{"a":[1]}}',
      spy,
    )!;
    expect(spy).not.toHaveBeenCalled();
    expect(msg.get('MSG')).toBe('hi');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(fields(msg)).toEqual([
      ['MESSAGE', 'hi'],
      ['n', 1.5],
      ['big', Number('12345678901234567890')], // JSON.parse's precision, as before
      ['ok', true],
      ['nil', null],
      ['o', { a: [1] }],
    ]);
    msg.keys();
    msg.toJSON();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('keeps __proto__ and constructor as plain fields; no prototype is touched', () => {
    const msg = LogMessage.fromJsonText(
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}',
      fill,
    )!;
    expect(msg.get('__proto__')).toEqual({ polluted: 1 });
    expect(msg.get('constructor')).toEqual({ prototype: { polluted: 2 } });
    expect(Object.hasOwn(msg.toJSON(), '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('puts the template fields after the JSON ones; fields set later win, without parsing', () => {
    const template = new LogMessage().set('HTTP.METHOD', 'POST').set('SOURCEIP', '10.0.0.1');
    const spy = vi.fn(fill);
    const msg = LogMessage.fromJsonText(
      '{"SOURCEIP":"spoofed","a":1,"message":"m"}',
      spy,
      template,
    )!;
    msg.set('TRANSPORT', 'http');
    expect(msg.get('SOURCEIP')).toBe('10.0.0.1');
    expect(msg.has('TRANSPORT')).toBe(true);
    expect(spy).not.toHaveBeenCalled(); // found among the fields set after the JSON
    expect(msg.get('a')).toBe(1);
    expect(spy).toHaveBeenCalledTimes(1);
    // Same order as parsing first and setting afterwards: a JSON key keeps its place.
    expect(fields(msg)).toEqual([
      ['SOURCEIP', '10.0.0.1'],
      ['a', 1],
      ['MESSAGE', 'm'],
      ['HTTP.METHOD', 'POST'],
      ['TRANSPORT', 'http'],
    ]);
  });

  it('never lets one message change another through the shared template fields', () => {
    const template = new LogMessage().set('T', 1).set('U', 2);
    const a = LogMessage.fromJsonText('{"a":1}', fill, template)!;
    const b = LogMessage.fromJsonText('{"b":2}', fill, template)!;
    a.set('T', 'changed');
    b.delete('U');
    b.set('T', 1); // the same value: nothing to copy
    template.set('V', 3);
    expect(a.get('T')).toBe('changed');
    expect(a.get('U')).toBe(2);
    expect(b.get('T')).toBe(1);
    expect(b.has('U')).toBe(false);
    expect(a.has('V') || b.has('V')).toBe(false);
    expect(fields(template)).toEqual([
      ['T', 1],
      ['U', 2],
      ['V', 3],
    ]);
  });

  it('sets a value the shared fields hold on every message, and keeps other lists apart', () => {
    const text = '{"a":1}\n{"a":2}\n{"a":3}';
    const [m1, m2, m3] = LogMessage.fromJsonLines(text, fill, new LogMessage().set('T', 1));
    const [other] = LogMessage.fromJsonLines('{"b":1}', fill, new LogMessage().set('T', 5));
    for (const m of [m1!, m2!, m3!]) m.set('T', 1); // what a source's transport does
    other!.set('T', 1);
    m1!.set('T', 2);
    m2!.set('T', 1);
    m1!.set('T', 1);
    m3!.set('U', 1);
    expect([m1, m2, m3, other].map((m) => m!.get('T'))).toEqual([1, 1, 1, 1]);
    expect(m2!.has('U')).toBe(false);
    expect(fields(m3!)).toEqual([
      ['a', 3],
      ['T', 1],
      ['U', 1],
    ]);
  });

  it('deletes, counts and clones pending JSON like parsed fields', () => {
    const msg = LogMessage.fromJsonText('{"a":1,"b":2}', fill)!;
    const copy = msg.clone();
    expect(msg.delete('a')).toBe(true);
    expect(msg.fieldCount).toBe(1);
    expect(copy.keys()).toEqual(['a', 'b']);
    copy.set('b', 3);
    expect(msg.get('b')).toBe(2);
  });

  it('turns any other JSON value into MESSAGE through the fill', () => {
    expect(LogMessage.fromJsonText(' "text" ', fill)!.get('MESSAGE')).toBe('text');
    expect(LogMessage.fromJsonText('[1,"a"]', fill)!.get('MESSAGE')).toEqual([1, 'a']);
    expect(LogMessage.fromJsonText('42', fill)!.getAsString('MESSAGE')).toBe('42');
  });

  it('takes the receive time given (STAMP follows it), else now', () => {
    const at = Date.UTC(2026, 10, 25, 6, 0, 0);
    const msg = LogMessage.fromJsonText('{}', fill, undefined, at)!;
    expect(msg.receivedAt).toBe(at);
    expect(msg.timestampMs).toBe(at);
    const before = Date.now();
    const now = LogMessage.fromJsonText('{}', fill, undefined, Number.NaN)!;
    expect(now.receivedAt).toBeGreaterThanOrEqual(before);
    expect(new LogMessage().receivedAt).toBeGreaterThanOrEqual(before);
  });

  it('sizes the text before parsing, and keeps MESSAGE as the text if the fill throws', () => {
    const text = '{"message":"abc"}';
    const template = new LogMessage().set('HOST', 'h');
    const msg = LogMessage.fromJsonText(text, fill, template)!;
    expect(msg.size).toBe(text.length + 'HOST'.length + 1);
    const broken = LogMessage.fromJsonText(text, () => {
      throw new Error('fill bug');
    })!;
    expect(broken.get('MESSAGE')).toBe(text);
  });
});

/** The line number fromJsonLines reports, or 0 when it accepts the text. */
function badLine(text: string): number {
  try {
    LogMessage.fromJsonLines(text, fill);
    return 0;
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return (err as ParseError).line!;
  }
}

/** What a line-by-line JSON.parse says: the first line (LF-separated) that is neither blank nor JSON. */
function expectedBadLine(text: string): number {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^[ \t\r]*$/.test(lines[i]!)) continue;
    try {
      JSON.parse(lines[i]!);
    } catch {
      return i + 1;
    }
  }
  return 0;
}

describe('LogMessage.fromJsonLines', () => {
  it('makes one message per line that is not blank, in order, CR of CRLF removed', () => {
    const text = '{"message":"a","n":1}\r\n\n  \t\r\n[1,{"b":[2]}]\n"text"\r\n{"message":"last"}';
    const msgs = LogMessage.fromJsonLines(text, fill);
    // Measured before parsing: the line's text, without the CR.
    expect(msgs.map((m) => m.size)).toEqual([21, 13, 6, 18]);
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual(['a', [1, { b: [2] }], 'text', 'last']);
    expect(msgs[0]!.get('n')).toBe(1);
    expect(LogMessage.fromJsonLines('', fill)).toEqual([]);
    expect(LogMessage.fromJsonLines('\n \r\n', fill)).toEqual([]);
  });

  it('refuses the whole text at its first bad line, with JSON.parse as the cause', () => {
    const text = '{"a":1}\n{"b":[1,{"c":2}]}\n\n{"x":\n{"y":}';
    let caught: unknown;
    try {
      LogMessage.fromJsonLines(text, fill);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParseError);
    const err = caught as ParseError;
    expect(err.code).toBe(ErrorCode.PARSE);
    expect(err.line).toBe(4);
    expect(err.cause).toBeInstanceOf(SyntaxError);
    expect(err.message).toBe(`line 4 is not valid JSON: ${(err.cause as Error).message}`);
    expect(badLine('{}\n{}\n{')).toBe(3); // the last line, without a newline
    expect(badLine('\ufeff{}')).toBe(1); // a BOM is not whitespace
    expect(badLine('{"a":"\t"}')).toBe(1); // a raw tab inside a string
  });

  it('gives every message the template fields, one receive time, and parses none', () => {
    const template = new LogMessage().set('SOURCEIP', '10.0.0.1');
    const spy = vi.fn(fill);
    const at = Date.UTC(2026, 10, 25);
    const msgs = LogMessage.fromJsonLines('{"a":1}\n{"a":2}\n', spy, template, at);
    expect(spy).not.toHaveBeenCalled();
    expect(msgs.map((m) => m.receivedAt)).toEqual([at, at]);
    msgs[0]!.set('SOURCEIP', 'changed');
    expect(fields(msgs[0]!)).toEqual([
      ['a', 1],
      ['SOURCEIP', 'changed'],
    ]);
    expect(fields(msgs[1]!)).toEqual([
      ['a', 2],
      ['SOURCEIP', '10.0.0.1'],
    ]);
    expect(template.get('SOURCEIP')).toBe('10.0.0.1');
  });

  it('agrees with JSON.parse line by line on generated and mutated NDJSON', () => {
    const line = fc.oneof(
      fc.json({ maxDepth: 2 }),
      fc.json({ maxDepth: 0, stringUnit: 'binary' }),
      fc
        .dictionary(
          fc.string({ unit: 'binary' }),
          fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null)),
        )
        .map((o) => JSON.stringify(o)),
      fc.constantFrom('', ' ', '\r', '\t{}\r'),
    );
    // LF and CRLF endings: compact lines take their own expression, CR included.
    const ndjson = fc
      .tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'))
      .map(([ls, eol]) => ls.join(eol));
    fc.assert(
      fc.property(ndjson, (t) => badLine(t) === expectedBadLine(t) && badLine(t) === 0),
      { numRuns: 1000 },
    );
    const mutated = fc
      .tuple(
        ndjson,
        fc.nat(),
        fc.constantFrom('"', '\\', ',', '{', '}', ']', ':', '\n', '\r', '\t', '\u0001', ' '),
      )
      .map(([t, at, piece]) => mutate(t, at, piece));
    fc.assert(
      fc.property(mutated, (t) => badLine(t) === expectedBadLine(t)),
      { numRuns: 3000 },
    );
  });
});

describe('jsonFieldsFill', () => {
  it('keeps JSON types, except MESSAGE, which is text; one fill per messageField', () => {
    const fill = jsonFieldsFill('msg');
    expect(jsonFieldsFill('msg')).toBe(fill);
    const m = LogMessage.fromJsonText(
      '{"msg":{"a":1},"n":2,"o":[true],"__proto__":{"x":1}}',
      fill,
    )!;
    expect([...m.entries()]).toEqual([
      ['MESSAGE', '{"a":1}'],
      ['n', 2],
      ['o', [true]],
      ['__proto__', { x: 1 }],
    ]);
    expect(LogMessage.fromJsonText('42', jsonFieldsFill())!.get('MESSAGE')).toBe('42');
    expect(LogMessage.fromJsonText('"s"', jsonFieldsFill())!.get('MESSAGE')).toBe('s');
    expect(LogMessage.fromJsonText('{"message":"m"}', jsonFieldsFill())!.get('MESSAGE')).toBe('m');
  });
});
