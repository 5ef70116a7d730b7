/**
 * Hostile HTTP at the limits: gzip, deflate and br bombs (small on the wire,
 * up to 1 GiB inflated), garbage and truncated compressed bodies, invalid
 * UTF-8, oversize bodies (declared and chunked), lines and message counts,
 * wrong Content-Types and encodings, and requests Node cannot parse. Each
 * gets a 4xx naming the problem in a JSON body, nothing is posted, memory
 * stays bounded, and a well-behaved client on the same servers loses
 * nothing. Figures go to `results/hostile-http-limits.json`.
 */
import { constants as zlib, createBrotliCompress, createDeflate, createGzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileRun, FORMATS, LIMITS, type Format } from './hostile-http-server.js';
import { encode, mib, parseRawResponse, rawExchange } from './hostile-net-support.js';
import { writeResult } from './results.js';

let run: HostileRun;
let bombGrowthMiB = 0;
beforeAll(async () => {
  run = await HostileRun.start();
});
afterAll(async () => {
  await run?.stop();
});
const hostile = (format: Format, o: Parameters<HostileRun['send']>[1]) => run.send(format, o);

/**
 * `mibs` MiB of zeros compressed by `encoder` in 1 MiB steps, so the test
 * process never holds the zeros at once (its RSS is the server's too).
 */
async function bomb(encoder: Transform, mibs: number): Promise<Buffer> {
  const out: Buffer[] = [];
  encoder.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((r) => encoder.on('end', r));
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < mibs; i++) {
    if (!encoder.write(chunk)) await new Promise((r) => encoder.once('drain', r));
  }
  encoder.end();
  await ended;
  return Buffer.concat(out);
}

describe('HttpSource refuses bombs and oversize input', () => {
  it('refuses gzip, deflate and br bombs (up to 1 GiB inflated) with 413 and a JSON body, memory bounded', async () => {
    const bombs: [string, Buffer, number][] = [
      ['gzip', await bomb(createGzip({ level: 9 }), 256), 256],
      ['deflate', await bomb(createDeflate({ level: 9 }), 256), 256],
      [
        'br',
        await bomb(createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 1 } }), 1024),
        1024,
      ],
    ];
    for (const [, b] of bombs) expect(b.length).toBeLessThan(LIMITS.maxBodyBytes);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      // Each bomb to every format, four at a time: memory must not grow with the inflated size.
      for (const [header, b, inflatedMiB] of bombs) {
        const answers = await Promise.all(
          FORMATS.flatMap((f) =>
            [0, 1, 2, 3].map(() =>
              hostile(f, {
                body: b,
                headers: { 'content-type': 'text/plain', 'content-encoding': header },
              }),
            ),
          ),
        );
        for (const a of answers) {
          expect(a.status, `${header} bomb of ${inflatedMiB} MiB: ${a.text}`).toBe(413);
          expect(a.json!.error).toMatch(/decompressed body exceeds maxBodyBytes/);
          expect(a.json!.maxBodyBytes).toBe(LIMITS.maxBodyBytes);
        }
      }
    } finally {
      clearInterval(sampler);
    }
    bombGrowthMiB = mib(peak - before);
    // 24 bombs in flight, each capped at maxBodyBytes (512 KiB) of output. What remains is the
    // decoders' state: a brotli window is up to 16 MiB, whatever the output cap, so 24 br decoders
    // may hold ~100 MiB (measured: 60-100 MiB). Uncapped, they would inflate 24 GiB.
    expect(peak - before, `RSS grew ${bombGrowthMiB} MiB`).toBeLessThan(256 << 20);
  }, 60_000);

  it('refuses garbage and truncated compressed bodies with 400 naming the encoding', async () => {
    const text = Buffer.from('hello\nworld\n'.repeat(100));
    for (const e of ['gzip', 'deflate', 'br'] as const) {
      const garbage = await hostile('text', {
        body: Buffer.from('definitely not compressed'),
        headers: { 'content-type': 'text/plain', 'content-encoding': e },
      });
      expect(garbage.status).toBe(400);
      expect(garbage.json!.error).toContain(`the ${e} body could not be decompressed`);
      const whole = encode(text, e === 'deflate' ? 'deflate' : e).body;
      const cut = await hostile('text', {
        body: whole.subarray(0, whole.length >> 1),
        headers: { 'content-type': 'text/plain', 'content-encoding': e },
      });
      expect(cut.status).toBe(400);
      const empty = await hostile('text', {
        body: Buffer.alloc(0),
        headers: { 'content-type': 'text/plain', 'content-encoding': e },
      });
      expect(empty.status).toBe(400);
    }
  });

  it('refuses invalid UTF-8 in the text formats with 400 naming the line, keeps it as bytes in raw', async () => {
    const bad = Buffer.concat([
      Buffer.from('ok line\n{"a":1}\nbad '),
      Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
      Buffer.from('\n'),
    ]);
    for (const f of ['text', 'ndjson', 'syslog'] as const) {
      const a = await hostile(f, { body: bad, headers: { 'content-type': 'text/plain' } });
      expect(a.status, f).toBe(400);
      expect(a.json).toMatchObject({ line: 3, offset: 20 });
      expect(a.json!.error).toMatch(/line 3 is not valid UTF-8/);
    }
    const j = await hostile('json', {
      body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      headers: {},
    });
    expect(j.status).toBe(400);
    expect(j.json!.error).toMatch(/not valid UTF-8 \(byte 2\)/);
    const raw = await hostile('raw', { body: bad, headers: {} });
    expect(raw.json).toEqual({ accepted: 1 });
  });

  it('refuses oversize bodies (declared or chunked), lines and message counts with 413 naming the limit', async () => {
    const big = Buffer.alloc(LIMITS.maxBodyBytes + 1, 0x61);
    for (const chunked of [false, true]) {
      const a = await hostile('raw', { body: big, headers: {}, chunked });
      expect(a.status, `chunked ${chunked}`).toBe(413);
      expect(a.json!.error).toMatch(/exceeds maxBodyBytes/);
      expect(a.headers.connection).toBe('close');
    }
    const longLine = Buffer.from(`"short"\n"${'x'.repeat(LIMITS.maxLineBytes + 1)}"\n`);
    for (const f of ['text', 'ndjson', 'syslog'] as const) {
      const a = await hostile(f, { body: longLine, headers: {} });
      expect(a.status, f).toBe(413);
      expect(a.json).toMatchObject({ line: 2, maxLineBytes: LIMITS.maxLineBytes });
    }
    // A line that fits in UTF-16 units but not in bytes.
    const wide = await hostile('text', {
      body: Buffer.from('é'.repeat(LIMITS.maxLineBytes / 2 + 1)),
      headers: {},
    });
    expect(wide.status).toBe(413);
    // Inflated within maxBodyBytes, but a line too long: the limits hold after decompression too.
    const packed = encode(longLine, 'gzip');
    const z = await hostile('text', { body: packed.body, headers: { 'content-encoding': 'gzip' } });
    expect(z.status).toBe(413);
    const many = await hostile('json', {
      body: Buffer.from(JSON.stringify(new Array(LIMITS.maxMessages + 1).fill({}))),
      headers: {},
    });
    expect(many.status).toBe(413);
    expect(many.json!.maxMessages).toBe(LIMITS.maxMessages);
    const exact = await hostile('text', {
      body: Buffer.from('m\n'.repeat(LIMITS.maxMessages)),
      headers: {},
    });
    expect(exact.json).toEqual({ accepted: LIMITS.maxMessages });
  });

  it('answers 415 to a missing or wrong Content-Type, charset or encoding (format auto); fixed formats ignore the type', async () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /Content-Type header is missing/],
      ['text/html', /unsupported Content-Type "text\/html"/],
      ['text/plain; charset=latin1', /unsupported charset "latin1"/],
      ['application/json; charset=utf-16', /unsupported charset "utf-16"/],
    ];
    for (const [type, why] of cases) {
      const a = await hostile('auto', {
        body: Buffer.from('{"a":1}'),
        headers: type === undefined ? {} : { 'content-type': type },
      });
      expect(a.status, String(type)).toBe(415);
      expect(a.json!.error).toMatch(why);
    }
    const enc = await hostile('auto', {
      body: Buffer.from('x'),
      headers: { 'content-type': 'text/plain', 'content-encoding': 'zstd' },
    });
    expect(enc.status).toBe(415);
    expect(enc.json!.supported).toEqual(['gzip', 'deflate', 'br']);
    const fixed = await hostile('json', {
      body: Buffer.from('{"a":1}'),
      headers: { 'content-type': 'image/png' },
    });
    expect(fixed.json).toEqual({ accepted: 1 });
  });
});

describe('HttpSource under malformed HTTP', () => {
  // prettier-ignore
  const REQUESTS: [string, string][] = [
    ['garbage request line', 'HELLO THERE\r\n\r\n'],
    ['bad chunk size', 'POST /fuzz HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['both Content-Length and chunked', 'POST /fuzz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ['negative Content-Length', 'POST /fuzz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
    ['header without colon', 'POST /fuzz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    ['NUL in a header', 'POST /fuzz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
    ['headers over 16 KiB', `POST /fuzz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['bad URI escape', 'POST /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx'],
  ];
  it.each(REQUESTS)(
    '%s: a 4xx with a JSON body, nothing posted, the server keeps serving',
    async (_name, req) => {
      const before = run.srv.counts.fuzz;
      const { text, closed } = await rawExchange(run.srv.ports.text, req);
      expect(closed, 'the connection stays open after a malformed request').toBe(true);
      const { status, json } = parseRawResponse(text);
      expect(status >= 400 && status < 500, text.slice(0, 200)).toBe(true);
      expect(json, `no JSON body: ${text.slice(0, 200)}`).toMatchObject({
        error: expect.any(String) as unknown,
      });
      expect(run.srv.counts.fuzz).toBe(before);
      const ok = await hostile('text', { body: 'still here', headers: {} });
      expect(ok.json).toEqual({ accepted: 1 });
    },
  );
});

describe('the well-behaved client beside the limits', () => {
  it('lost nothing: every accepted message delivered once', async () => {
    await writeResult(
      await run.finish(
        'hostile-http-limits',
        'gzip/deflate/br bombs (256 MiB to 1 GiB inflated, 24 at once), garbage and truncated compressed bodies, invalid UTF-8, oversize bodies (declared and chunked), lines and message counts, wrong Content-Types and encodings, unparseable HTTP',
        { bombRssGrowthMiB: bombGrowthMiB },
      ),
    );
  });
});
