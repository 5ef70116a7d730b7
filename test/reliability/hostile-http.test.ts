/**
 * Hostile HTTP bodies, at random: random and adversarial bytes, invalid
 * UTF-8, JSON and NDJSON with broken lines, syslog lines, lines and message
 * counts around the limits, in every format, in every Content-Encoding
 * (also truncated, bit-flipped and mislabelled) and with wrong Content-Types.
 *
 * Whatever comes in, the answer is a 2xx or 4xx with a JSON body (never a
 * 5xx, never a hang), a refused request posts nothing, an accepted one posts
 * exactly what it says, an encoded body is read as its plain self — and a
 * well-behaved client posting to the same servers all the while loses
 * nothing. Figures go to `results/hostile-http.json`; bombs, oversize input
 * and malformed HTTP are in hostile-http-limits.test.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz-support.js';
import { HostileRun, FORMATS, LIMITS, type Format } from './hostile-http-server.js';
import { encode, ENCODINGS, type Encoding } from './hostile-net-support.js';
import { writeResult } from './results.js';
import { hostileString, mixedBytes, rfc3164Line, rfc5424Line } from './syslog-lines.js';

let run: HostileRun;
beforeAll(async () => {
  run = await HostileRun.start();
});
afterAll(async () => {
  await run?.stop();
});
const hostile = (format: Format, o: Parameters<HostileRun['send']>[1]) => run.send(format, o);

const asBuf = (s: string): Buffer => Buffer.from(s, 'utf8');
const jsonDoc = fc.jsonValue({ maxDepth: 3 }).map((v) => asBuf(JSON.stringify(v)));
const ndjsonDoc = fc
  .array(
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      hostileString,
    ),
    {
      maxLength: 20,
    },
  )
  .chain((lines) =>
    fc
      .constantFrom('\n', '\r\n')
      .map((eol) => asBuf(lines.map((l) => l.replace(/\n/g, ' ')).join(eol))),
  );
const syslogDoc = fc
  .array(
    fc.oneof(
      rfc5424Line.map((l) => l.line),
      rfc3164Line.map((l) => l.line),
      hostileString,
    ),
    {
      maxLength: 10,
    },
  )
  .map((lines) => asBuf(lines.join('\n')));
/** Random bodies, valid or not. */
const body: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
  mixedBytes.map((b) => Buffer.from(b)),
  hostileString.map(asBuf),
  jsonDoc,
  ndjsonDoc,
  syslogDoc,
  fc
    .array(fc.object({ maxDepth: 1 }), {
      minLength: LIMITS.maxMessages - 2,
      maxLength: LIMITS.maxMessages + 2,
    })
    .map((a) => asBuf(JSON.stringify(a))),
  fc
    .integer({ min: LIMITS.maxMessages - 2, max: LIMITS.maxMessages + 2 })
    .map((n) => asBuf('m\n'.repeat(n))),
  fc
    .integer({ min: LIMITS.maxLineBytes - 2, max: LIMITS.maxLineBytes + 2 })
    .map((n) => asBuf(`${'é'.repeat(n >> 1)}\n`)),
);

// prettier-ignore
const CONTENT_TYPES = [
  undefined, 'application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain',
  'application/octet-stream', 'text/plain; charset=utf-8', 'TEXT/PLAIN; CHARSET="UTF-8"',
  'text/plain; charset=latin1', 'application/json; charset=utf-16', 'text/html',
  'multipart/form-data; boundary=x', 'application/vnd.api+json', ';;;', '', 'application/',
];
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', '/', ';', '=', ' ', '+', '"', 'x'),
      maxLength: 20,
    }),
  },
);

/** How the body goes on the wire: encoded well, encoded then damaged, or mislabelled. */
type Wire =
  | { kind: 'ok'; encoding: Encoding }
  | { kind: 'truncated'; encoding: Exclude<Encoding, 'identity'>; keep: number }
  | { kind: 'flipped'; encoding: Exclude<Encoding, 'identity'>; at: number; bit: number }
  | { kind: 'mislabelled'; header: string };
const compressed = fc.constantFrom('gzip', 'deflate', 'deflate-raw', 'br') as fc.Arbitrary<
  Exclude<Encoding, 'identity'>
>;
const wire: fc.Arbitrary<Wire> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(...ENCODINGS).map((encoding) => ({ kind: 'ok' as const, encoding })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncated' as const),
      encoding: compressed,
      keep: fc.double({ min: 0, max: 0.99, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('flipped' as const),
      encoding: compressed,
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mislabelled' as const),
      header: fc.constantFrom(
        'gzip',
        'x-gzip',
        'deflate',
        'br',
        'GZIP',
        'compress',
        'zstd',
        'gzip, br',
        'identity, gzip',
        '*',
        'bogus',
      ),
    }),
  },
);

function onWire(b: Buffer, w: Wire): { body: Buffer; header?: string } {
  switch (w.kind) {
    case 'ok':
      return encode(b, w.encoding);
    case 'truncated': {
      const e = encode(b, w.encoding);
      return { body: e.body.subarray(0, Math.floor(e.body.length * w.keep)), header: e.header };
    }
    case 'flipped': {
      const e = encode(b, w.encoding);
      const out = Buffer.from(e.body);
      if (out.length > 0) out[w.at % out.length]! ^= 1 << w.bit;
      return { body: out, header: e.header };
    }
    case 'mislabelled':
      return { body: b, header: w.header };
  }
}

describe('HttpSource under hostile bodies', () => {
  it('answers every random body in every format and encoding with a 2xx or 4xx JSON body, posting exactly what it accepts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        body,
        contentType,
        wire,
        fc.boolean(),
        async (format, b, type, w, chunked) => {
          const { body: sent, header } = onWire(b, w);
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          if (header !== undefined) headers['content-encoding'] = header;
          const a = await hostile(format, { body: sent, headers, chunked });
          // A body that cannot be decoded is refused with the reason; never accepted.
          if (
            w.kind === 'mislabelled' &&
            !['gzip', 'x-gzip', 'deflate', 'br', 'GZIP'].includes(w.header)
          ) {
            expect([415, 429]).toContain(a.status);
          }
          if (w.kind === 'truncated' && a.status === 400)
            expect(a.json!.error).toMatch(/decompress/);
        },
      ),
      { ...fuzzParams(0x5eed_4771, 250), timeout: 20_000 },
    );
  }, 120_000);

  it('reads an encoded body exactly as the same body sent plain (identity, gzip, deflate, raw deflate, br)', async () => {
    const valid: fc.Arbitrary<[Format, Buffer, string]> = fc.oneof(
      jsonDoc.map((b) => ['json', b, 'application/json'] as [Format, Buffer, string]),
      ndjsonDoc.map((b) => ['ndjson', b, 'application/x-ndjson'] as [Format, Buffer, string]),
      syslogDoc.map((b) => ['syslog', b, 'text/plain'] as [Format, Buffer, string]),
      hostileString.map((s) => ['text', asBuf(s), 'text/plain'] as [Format, Buffer, string]),
      fc
        .uint8Array({ maxLength: 2000 })
        .map(
          (u) => ['raw', Buffer.from(u), 'application/octet-stream'] as [Format, Buffer, string],
        ),
      fc
        .tuple(
          fc.constantFrom(
            'application/json',
            'application/x-ndjson',
            'text/plain',
            'application/octet-stream',
          ),
          jsonDoc,
        )
        .map(([t, b]) => ['auto', b, t] as [Format, Buffer, string]),
    );
    await fc.assert(
      fc.asyncProperty(valid, async ([format, b, type]) => {
        const plain = await hostile(format, { body: b, headers: { 'content-type': type } });
        if (plain.status === 429) return;
        for (const e of ENCODINGS.slice(1)) {
          const { body: sent, header } = encode(b, e);
          const got = await hostile(format, {
            body: sent,
            headers: { 'content-type': type, 'content-encoding': header! },
          });
          if (got.status === 429) continue;
          expect({ encoding: e, status: got.status, accepted: got.json!.accepted }).toEqual({
            encoding: e,
            status: plain.status,
            accepted: plain.json!.accepted,
          });
        }
      }),
      { ...fuzzParams(0x0e2c_0de5, 60), timeout: 20_000 },
    );
  }, 120_000);

  it('kept the well-behaved client whole: every accepted message delivered once', async () => {
    await writeResult(
      await run.finish(
        'hostile-http',
        'random and adversarial bodies in 6 formats: bytes, invalid UTF-8, broken JSON/NDJSON, syslog lines, limits ±2; identity/gzip/deflate/br, truncated, bit-flipped, mislabelled; random Content-Types',
      ),
    );
  });
});
