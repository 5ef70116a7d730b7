/**
 * fast-check arbitraries of syslog input for the hostile-parse tests:
 * hostile strings and bytes, and well-formed RFC 5424 / RFC 3164 lines
 * together with the fields they must parse into (written from the RFCs,
 * not from the parser), plus random edits that make them near-valid.
 */
import fc from 'fast-check';

/** The header fields a parser may set. */
export const HEADER_FIELDS = ['HOST', 'PROGRAM', 'PID', 'MSGID'];

/** The text the parser sees: bytes decoded (BOM kept), trailing CR, LF and NUL removed. */
export function referenceText(raw: string | Uint8Array): string {
  let s = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  let end = s.length;
  while (end > 0 && '\r\n\0'.includes(s[end - 1]!)) end--;
  s = s.slice(0, end);
  return s;
}

/** Characters that matter to a syslog parser, plus controls, BOMs and lone surrogates. */
// prettier-ignore
const SPECIALS = [
  '<', '>', '[', ']', '"', '\\', '=', ' ', '-', ':', '.', 'T', 'Z', '+', '1', '0', '9',
  '\0', '\r', '\n', '\t', '\uFEFF', '\uFFFD', '\uD800', '\uDFFF', '\u2028', '\x7f', 'é', '😀',
];
const special = fc.constantFrom(...SPECIALS);
export const anyChar = fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
export const hostileString = fc.string({ unit: anyChar, maxLength: 400 });

/** Byte sequences that are not valid UTF-8 (overlong, surrogates, truncated, out of range). */
// prettier-ignore
const BAD_UTF8 = [
  [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
  [0x80], [0xbf], [0xff], [0xfe], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3],
];
const bytesOf = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const byteChunk = fc.oneof(
  fc.constantFrom(...BAD_UTF8),
  fc.constantFrom(
    bytesOf('<13>'),
    bytesOf('<191>'),
    bytesOf('1 '),
    bytesOf('2026-06-15T12:00:00Z '),
    bytesOf('Jun 15 12:00:00 '),
    bytesOf('host '),
    bytesOf('app[42]: '),
    bytesOf('[id k="v"]'),
    bytesOf('\\"'),
    [0xef, 0xbb, 0xbf],
    [0],
    [0x0d, 0x0a],
  ),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
);
export const mixedBytes = fc
  .array(byteChunk, { maxLength: 40 })
  .map((chunks) => Uint8Array.from(chunks.flat()));

const printable = (min: number, max: number, exclude = ''): fc.Arbitrary<string> =>
  fc.string({
    unit: fc
      .integer({ min: 33, max: 126 })
      .map((c) => String.fromCharCode(c))
      .filter((c) => !exclude.includes(c)),
    minLength: min,
    maxLength: max,
  });

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : DAYS[m - 1]!);

/** An RFC 3339 timestamp, its instant and the offset it was written in. */
const isoStamp = fc
  .record({
    y: fc.integer({ min: 0, max: 9999 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 31 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    frac: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
    offset: fc.oneof(fc.constant('Z' as const), fc.integer({ min: -1439, max: 1439 })),
  })
  .map((t) => {
    const d = Math.min(t.d, daysIn(t.y, t.mo));
    const ms = t.frac === undefined ? 0 : Number((t.frac + '00').slice(0, 3));
    const off = t.offset === 'Z' ? 0 : t.offset;
    const zone =
      t.offset === 'Z'
        ? 'Z'
        : `${t.offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(t.offset) / 60), 2)}:${pad(Math.abs(t.offset) % 60, 2)}`;
    const text =
      `${pad(t.y, 4)}-${pad(t.mo, 2)}-${pad(d, 2)}T${pad(t.h, 2)}:${pad(t.mi, 2)}:${pad(t.s, 2)}` +
      `${t.frac === undefined ? '' : '.' + t.frac}${zone}`;
    const wall = new Date(0);
    wall.setUTCFullYear(t.y, t.mo - 1, d);
    wall.setUTCHours(t.h, t.mi, t.s, ms);
    return { text, ms: wall.getTime() - off * 60_000 };
  });

/** An SD-NAME: printable ASCII except `=`, space, `]` and `"`. */
const sdName = printable(1, 12, '=]"');
const sdElement = fc.record({
  id: sdName,
  params: fc.array(
    fc.tuple(
      sdName,
      hostileString.map((v) => v.slice(0, 40)),
    ),
    { maxLength: 4 },
  ),
});
const escapeSd = (v: string): string => v.replace(/["\\\]]/g, (c) => '\\' + c);

/** A well-formed RFC 5424 line and the fields it must parse into. */
export const rfc5424Line = fc
  .record({
    pri: fc.integer({ min: 0, max: 191 }),
    stamp: fc.option(isoStamp, { nil: undefined }),
    header: fc.tuple(printable(1, 40), printable(1, 40), printable(1, 20), printable(1, 20)),
    sd: fc.array(sdElement, { maxLength: 3 }),
    message: fc.option(hostileString, { nil: undefined }),
  })
  .map(({ pri, stamp, header, sd, message }) => {
    const expected: Record<string, string> = {};
    HEADER_FIELDS.forEach((name, k) => {
      if (header[k] !== '-') expected[name] = header[k]!;
    });
    let sdText = '-';
    if (sd.length > 0) {
      sdText = sd
        .map((e) => `[${e.id}${e.params.map(([n, v]) => ` ${n}="${escapeSd(v)}"`).join('')}]`)
        .join('');
      expected.SDATA = sdText;
      for (const e of sd) for (const [n, v] of e.params) expected[`SDATA.${e.id}.${n}`] = v;
    }
    const line = `<${pri}>1 ${stamp?.text ?? '-'} ${header.join(' ')} ${sdText}${message === undefined ? '' : ' ' + message}`;
    const text = referenceText(line);
    // MESSAGE is what follows the structured data, minus one BOM; the line's trailing CR/LF/NUL go.
    const head = line.length - (message === undefined ? 0 : message.length);
    let msgText = text.slice(Math.min(head, text.length));
    if (msgText.startsWith('\uFEFF')) msgText = msgText.slice(1);
    expected.MESSAGE = msgText;
    return { line, pri, stampMs: stamp?.ms, expected };
  });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOST_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@:._/%-';

/** A well-formed RFC 3164 line (BSD stamp, year 2024, a fixed zone) and its fields. */
export const rfc3164Line = fc
  .record({
    pri: fc.integer({ min: 0, max: 191 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 31 }),
    dayStyle: fc.constantFrom('space', 'zero', 'bare'),
    time: fc.tuple(
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
    ),
    tz: fc.integer({ min: -1439, max: 1439 }),
    host: fc.option(
      fc
        .string({ unit: fc.constantFrom(...HOST_CHARS), minLength: 1, maxLength: 30 })
        .filter((h) => !h.endsWith(':')),
      { nil: undefined },
    ),
    program: printable(1, 30, '[:'),
    pid: fc.option(printable(1, 10, ']'), { nil: undefined }),
    message: hostileString,
  })
  .map((r) => {
    const d = Math.min(r.d, daysIn(2024, r.mo));
    const day =
      r.dayStyle === 'zero'
        ? pad(d, 2)
        : r.dayStyle === 'space'
          ? String(d).padStart(2, ' ')
          : String(d);
    const [h, mi, s] = r.time;
    const stamp = `${MONTHS[r.mo - 1]!} ${day} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
    const tag = r.pid === undefined ? `${r.program}:` : `${r.program}[${r.pid}]:`;
    const line = `<${r.pri}>${stamp} ${r.host === undefined ? '' : r.host + ' '}${tag} ${r.message}`;
    const expected: Record<string, string> = { PROGRAM: r.program };
    if (r.host !== undefined) expected.HOST = r.host;
    if (r.pid !== undefined) expected.PID = r.pid;
    const text = referenceText(line);
    expected.MESSAGE = text.slice(Math.min(line.length - r.message.length, text.length));
    const ms = Date.UTC(2024, r.mo - 1, d, h, mi, s) - r.tz * 60_000;
    return { line, pri: r.pri, tz: r.tz, ms, expected };
  });

/** Up to three random edits (insert, delete, replace, truncate, repeat) of a line. */
export function mutated(line: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    op: fc.constantFrom('insert', 'delete', 'replace', 'truncate', 'repeat'),
    at: fc.nat(),
    ch: anyChar,
    n: fc.integer({ min: 1, max: 50 }),
  });
  return fc.tuple(line, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([s, edits]) => {
    for (const e of edits) {
      const p = e.at % (s.length + 1);
      if (e.op === 'insert') s = s.slice(0, p) + e.ch + s.slice(p);
      else if (e.op === 'delete') s = s.slice(0, p) + s.slice(p + 1);
      else if (e.op === 'replace') s = s.slice(0, p) + e.ch + s.slice(p + 1);
      else if (e.op === 'truncate') s = s.slice(0, p);
      else s = s.slice(0, p) + e.ch.repeat(e.n) + s.slice(p);
    }
    return s;
  });
}
