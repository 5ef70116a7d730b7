/**
 * Hostile input for `LogMessage.parse`: random bytes, invalid UTF-8, huge
 * lines, structured-data punctuation, NUL bytes, BOMs, PRI edge values and
 * near-valid RFC 5424 / RFC 3164 lines. The parser must never throw, never
 * take more than linear time, always set MESSAGE and a PRI in 0..191, and
 * read every well-formed line exactly (checked against the generator).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, LogMessage, type ParseOptions } from '@logpath/core';
import { fuzzParams, largeInputLimitMs, SMALL_INPUT_LIMIT_MS, timedBest } from './fuzz-support.js';
import {
  anyChar,
  HEADER_FIELDS,
  hostileString,
  mixedBytes,
  mutated,
  referenceText,
  rfc3164Line,
  rfc5424Line,
} from './syslog-lines.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

/**
 * Everything that must hold for a parsed message, whatever the input: one
 * sentence per violation (plain checks, not `expect`, so a message with
 * 65536 fields is checked in milliseconds).
 */
function problems(raw: string | Uint8Array, msg: LogMessage): string[] {
  const out: string[] = [];
  const text = referenceText(raw);
  const message = msg.get('MESSAGE');
  if (typeof message !== 'string') out.push(`MESSAGE is ${typeof message}, not a string`);
  // MESSAGE is always the tail of the line: nothing is invented or reordered.
  else if (!text.endsWith(message))
    out.push(`MESSAGE ${JSON.stringify(message)} is not a suffix of the line`);
  const pri = msg.getPri();
  if (!(Number.isInteger(pri) && pri >= 0 && pri <= 191)) out.push(`PRI ${pri} is not in 0..191`);
  if (!Number.isFinite(msg.timestampMs)) out.push(`STAMP ${msg.timestampMs} is not a time`);
  for (const [name, value] of msg.entries()) {
    if (typeof value !== 'string') out.push(`${name} is ${typeof value}, not a string`);
  }
  for (const name of HEADER_FIELDS) {
    const v = msg.get(name);
    if (v === undefined) continue;
    // Header fields never carry spaces or control characters: no line or field injection.
    if (typeof v !== 'string' || v === '' || hasSpaceOrControl(v) || !text.includes(v)) {
      out.push(
        `${name} ${JSON.stringify(v)} is empty, has a space or control, or is not from the line`,
      );
    }
  }
  const sdata = msg.get('SDATA');
  if (sdata !== undefined) {
    if (
      typeof sdata !== 'string' ||
      !sdata.startsWith('[') ||
      !sdata.endsWith(']') ||
      !text.includes(sdata)
    ) {
      out.push(`SDATA ${JSON.stringify(sdata)} is not a bracketed part of the line`);
    }
  }
  return out;
}

/** Parses with a time limit, then checks {@link problems} and that formatting the result works. */
function parseChecked(
  raw: string | Uint8Array,
  options?: ParseOptions,
  limitMs = SMALL_INPUT_LIMIT_MS,
): LogMessage {
  const [msg, ms] = timedBest(() => LogMessage.parse(raw, options), limitMs);
  if (ms >= limitMs) expect.fail(`parse took ${ms.toFixed(1)} ms (limit ${limitMs} ms)`);
  const found = problems(raw, msg);
  if (found.length > 0) expect(found).toEqual([]);
  // Everything downstream of parse must cope with what it produced.
  msg.format('${ISODATE} ${DATE} ${UNIXTIME} ${FACILITY}.${SEVERITY} ${HOST} ${MSG}');
  JSON.stringify(msg.toJSON());
  return msg;
}

function fields(msg: LogMessage): Record<string, unknown> {
  return Object.fromEntries(msg.entries());
}

// ---------------------------------------------------------------------- tests

describe('LogMessage.parse under hostile input', () => {
  it('survives random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
        parseChecked(bytes);
      }),
      fuzzParams(0x5eed0101, 3000),
    );
  });

  it('survives invalid UTF-8 mixed with syslog fragments, as bytes and as Buffer views', () => {
    fc.assert(
      fc.property(mixedBytes, fc.nat(8), (bytes, skip) => {
        parseChecked(bytes);
        // A view into a larger buffer must read only its own bytes.
        const big = new Uint8Array(bytes.length + skip + 3).fill(0x41);
        big.set(bytes, skip);
        parseChecked(big.subarray(skip, skip + bytes.length));
      }),
      fuzzParams(0x5eed0102, 2000),
    );
  });

  it('survives random strings full of syslog punctuation, controls, BOMs and lone surrogates', () => {
    fc.assert(
      fc.property(
        hostileString,
        fc.constantFrom('', '<13>', '<13>1 ', '<0>', '<191>'),
        (s, prefix) => {
          parseChecked(prefix + s);
        },
      ),
      fuzzParams(0x5eed0103, 3000),
    );
  });

  it('reads every well-formed RFC 5424 line exactly', () => {
    fc.assert(
      fc.property(rfc5424Line, ({ line, pri, stampMs, expected }) => {
        const msg = parseChecked(line, { now: NOW });
        expect(msg.getPri()).toBe(pri);
        expect(fields(msg)).toEqual(expected);
        if (stampMs !== undefined) expect(msg.timestampMs).toBe(stampMs);
        else expect(msg.timestampMs).toBe(msg.receivedAt);
      }),
      fuzzParams(0x5eed0104, 1500),
    );
  });

  it('reads every well-formed RFC 3164 line exactly', () => {
    fc.assert(
      fc.property(rfc3164Line, ({ line, pri, tz, ms, expected }) => {
        const msg = parseChecked(line, { year: 2024, tzOffsetMinutes: tz });
        expect(msg.getPri()).toBe(pri);
        expect(fields(msg)).toEqual(expected);
        expect(msg.timestampMs).toBe(ms);
        expect(msg.timezoneOffset).toBe(tz);
      }),
      fuzzParams(0x5eed0105, 1500),
    );
  });

  it('survives near-valid RFC 5424 and RFC 3164 lines with random edits', () => {
    const near = fc.oneof(
      mutated(rfc5424Line.map((l) => l.line)),
      mutated(rfc3164Line.map((l) => l.line)),
    );
    fc.assert(
      fc.property(near, fc.boolean(), (line, asBytes) => {
        parseChecked(asBytes ? Buffer.from(line, 'utf8') : line, { now: NOW });
      }),
      fuzzParams(0x5eed0106, 3000),
    );
  });

  it('takes PRI only from 1 to 3 digits up to 191, else keeps the line whole with the default PRI', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 5 });
    const junk = fc.constantFrom('', '-', '+', ' ', 'a', '\0', '<', '\uFEFF');
    fc.assert(
      fc.property(
        digits,
        junk,
        junk,
        fc.option(fc.integer({ min: 0, max: 191 }), { nil: undefined }),
        (d, before, after, defaultPri) => {
          const line = `<${before}${d}${after}>hello world`;
          const msg = parseChecked(line, defaultPri === undefined ? undefined : { defaultPri });
          const valid =
            before === '' && after === '' && d.length >= 1 && d.length <= 3 && Number(d) <= 191;
          if (valid) {
            expect(msg.getPri()).toBe(Number(d));
            expect(msg.get('MESSAGE')).toBe('hello world');
          } else {
            expect(msg.getPri()).toBe(defaultPri ?? 13);
            expect(msg.get('MESSAGE')).toBe(line);
          }
        },
      ),
      fuzzParams(0x5eed0107, 2000),
    );
  });

  it('ignores one leading BOM and trailing CR, LF and NUL, for text and for bytes alike', () => {
    const tail = fc.string({ unit: fc.constantFrom('\r', '\n', '\0'), maxLength: 6 });
    const line = fc.oneof(
      rfc5424Line.map((l) => l.line),
      rfc3164Line.map((l) => l.line),
      hostileString,
    );
    fc.assert(
      fc.property(line, tail, fc.boolean(), (s, t, bom) => {
        const base = LogMessage.parse(s, { now: NOW, year: 2024 });
        const framed = (bom && !s.startsWith('\uFEFF') ? '\uFEFF' : '') + s + t;
        for (const input of [framed, Buffer.from(framed, 'utf8')]) {
          if (typeof input !== 'string' && !isWellFormed(framed)) continue; // lone surrogates do not survive encoding
          const msg = parseChecked(input, { now: NOW, year: 2024 });
          expect(msg.getPri()).toBe(base.getPri());
          expect(fields(msg)).toEqual(fields(base));
        }
      }),
      fuzzParams(0x5eed0108, 2000),
    );
  });

  it('parses a line the same from bytes as from its text', () => {
    // Regression: TextDecoder dropped a BOM of its own, so "\uFEFF\uFEFFx" lost both as bytes.
    const examples: [string][] = [['\uFEFF\uFEFFx'], ['\uFEFF\uFEFF<13>1 - - - - - x'], ['\uFEFF']];
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString,
          rfc5424Line.map((l) => l.line),
        ),
        (s) => {
          fc.pre(isWellFormed(s));
          const fromText = LogMessage.parse(s, { now: NOW });
          const fromBytes = parseChecked(Buffer.from(s, 'utf8'), { now: NOW });
          expect(fields(fromBytes)).toEqual(fields(fromText));
          expect(fromBytes.getPri()).toBe(fromText.getPri());
        },
      ),
      { ...fuzzParams(0x5eed0109, 2000), examples },
    );
  });

  it('throws only ConfigError for out-of-range options, and nothing for any input with valid ones', () => {
    const option = fc.oneof(
      fc.integer({ min: -3000, max: 12000 }),
      fc.double(),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(hostileString, option, option, option, (s, defaultPri, tzOffsetMinutes, year) => {
        const options = { defaultPri, tzOffsetMinutes, year } as ParseOptions;
        let msg: LogMessage | undefined;
        try {
          msg = LogMessage.parse(s, options);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          return;
        }
        parseChecked(s, options);
        const noPri = !s.replace(/^\uFEFF/, '').startsWith('<');
        if (defaultPri !== undefined && noPri) expect(msg.getPri()).toBe(defaultPri);
      }),
      fuzzParams(0x5eed010a, 2000),
    );
  });
});

describe('LogMessage.parse on huge lines', () => {
  const header5424 = '<13>1 2026-06-15T12:00:00.000Z host app 42 id ';
  const shapes: [string, string][] = [
    ['open brackets', header5424 + '['.repeat(1 << 20)],
    ['escaped quotes in an unterminated value', header5424 + '[x a="' + '\\"'.repeat(1 << 19)],
    ['escaped backslashes', header5424 + '[x a="' + '\\\\'.repeat(1 << 19) + '"]'],
    ['many SD elements', header5424 + '[a b="c"]'.repeat(1 << 17)],
    ['many SD params', header5424 + '[a' + ' b="c"'.repeat(1 << 17) + ']'],
    [
      'many distinct SD params',
      header5424 + '[a' + Array.from({ length: 1 << 16 }, (_, i) => ` p${i}="v"`).join('') + ']',
    ],
    ['angle brackets', '<'.repeat(1 << 20)],
    ['quotes', '"'.repeat(1 << 20)],
    ['NUL bytes', '\0'.repeat(1 << 20)],
    ['CR LF NUL tail', 'x' + '\r\n\0'.repeat(1 << 19)],
    ['BOMs', '\uFEFF'.repeat(1 << 20)],
    ['long fraction of a second', '<13>2026-06-15T12:00:00.' + '1'.repeat(1 << 20)],
    ['long program and pid', '<13>' + 'a'.repeat(1 << 20) + '[' + '1'.repeat(1 << 20)],
    ['long hostname', '<13>Jun 15 12:00:00 ' + 'h'.repeat(1 << 20)],
    ['spaces after the version', '<13>1 ' + ' '.repeat(1 << 20)],
    ['pid brackets', '<13>Jun 15 12:00:00 host ' + 'p['.repeat(1 << 19)],
  ];

  it.each(shapes)('parses %s (1 MiB or more) in linear time', (_name, line) => {
    parseChecked(line, undefined, largeInputLimitMs(line.length));
    parseChecked(Buffer.from(line, 'utf8'), undefined, largeInputLimitMs(line.length * 3));
  });

  it('parses random repeated patterns up to 1 MiB in linear time', () => {
    const prefix = fc.constantFrom(
      '',
      '<13>',
      header5424,
      header5424 + '[x a="',
      '<13>Jun 15 12:00:00 host ',
      '<13>2026-06-15T12:00:00.',
    );
    const pattern = fc.string({ unit: anyChar, minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(prefix, pattern, fc.integer({ min: 1 << 14, max: 1 << 17 }), (p, pat, n) => {
        const line = p + pat.repeat(n);
        parseChecked(line, undefined, largeInputLimitMs(line.length));
      }),
      fuzzParams(0x5eed0111, 40),
    );
  });

  it('parses 2000 random short lines in well under a second in total', () => {
    const lines = fc.sample(
      fc.oneof(
        hostileString,
        rfc5424Line.map((l) => l.line),
        mutated(rfc3164Line.map((l) => l.line)),
      ),
      { seed: 0x5eed0112, numRuns: 2000 },
    );
    const [, total] = timedBest(() => {
      for (const s of lines) LogMessage.parse(s);
    }, 1000);
    expect(total, 'total parse time of 2000 lines (ms)').toBeLessThan(1000);
  });
});

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 32) return true;
  return false;
}

function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
