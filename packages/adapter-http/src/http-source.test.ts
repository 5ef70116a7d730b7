import { request } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { startSource, type SourceHarness } from '@logpath/core/testing';
import { afterEach, describe, it, expect } from 'vitest';
import { HttpSource } from './http-source.js';
import type { HttpSourceOptions } from './http-source-options.js';
import { post, send } from './test-http.js';

let harness: SourceHarness<HttpSourceOptions> | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(
  options: HttpSourceOptions = {},
): Promise<{ h: SourceHarness<HttpSourceOptions>; port: number; base: string }> {
  harness = await startSource(HttpSource, { options: { host: '127.0.0.1', port: 0, ...options } });
  const port = await (harness.source as HttpSource).whenListening();
  return { h: harness, port, base: `http://127.0.0.1:${port}` };
}

const ndjson = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ message: `m${from + i}`, seq: from + i }),
  ).join('\n') + '\n';

describe('HttpSource formats', () => {
  it('auto: picks the format from the Content-Type and answers 202 with the count', async () => {
    const { h, base } = await start();
    const r1 = await post(`${base}/`, '{"message":"one","level":"info","n":1}', 'application/json');
    expect(r1.status).toBe(202);
    expect(r1.json).toEqual({ accepted: 1 });
    expect(
      (await post(`${base}/`, '[{"message":"two"},{"message":"three"}]', 'application/json')).json,
    ).toEqual({ accepted: 2 });
    expect((await post(`${base}/`, ndjson(2, 4), 'application/x-ndjson')).json).toEqual({
      accepted: 2,
    });
    expect((await post(`${base}/`, 'six\nseven\n', 'text/plain;charset=UTF-8')).json).toEqual({
      accepted: 2,
    });
    expect((await post(`${base}/`, 'eight\nstill eight', 'application/octet-stream')).json).toEqual(
      { accepted: 1 },
    );
    const msgs = await h.waitFor(8);
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual([
      'one',
      'two',
      'three',
      'm4',
      'm5',
      'six',
      'seven',
      'eight\nstill eight',
    ]);
    expect(msgs[0]!.get('n')).toBe(1);
    expect(msgs[0]!.get('level')).toBe('info');
    expect(msgs[3]!.get('seq')).toBe(4);
  });

  it('a fixed format ignores the Content-Type (sendBeacon posts text/plain)', async () => {
    const { h, base } = await start({ format: 'json' });
    expect(
      (await post(`${base}/`, '{"message":"beacon","page":"/x"}', 'text/plain;charset=UTF-8'))
        .status,
    ).toBe(202);
    const [m] = await h.waitFor(1);
    expect(m!.get('page')).toBe('/x');
  });

  it('syslog: each line is parsed', async () => {
    const { h, base } = await start({ format: 'syslog' });
    await post(
      `${base}/`,
      '<165>1 2024-05-06T07:08:09Z web1 nginx 42 - - GET /\n<13>May  6 07:08:09 db1 pg[7]: ok\n',
      'text/plain',
    );
    const [a, b] = await h.waitFor(2);
    expect([a!.get('HOST'), a!.get('PROGRAM'), a!.get('MESSAGE'), a!.getPri()]).toEqual([
      'web1',
      'nginx',
      'GET /',
      165,
    ]);
    expect([b!.get('HOST'), b!.get('PROGRAM'), b!.get('MESSAGE')]).toEqual(['db1', 'pg', 'ok']);
  });
});

describe('HttpSource fields', () => {
  it('sets TRANSPORT, SOURCEIP, HTTP.METHOD/PATH, route params, query and listed headers', async () => {
    const { h, base } = await start({ path: '/ingest/:tenant', headers: ['X-Request-Id'] });
    const r = await send(`${base}/ingest/acme?env=prod&tag=a&tag=b`, {
      method: 'PUT',
      body: '{"message":"hi","HTTP.METHOD":"spoofed"}',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r-1', 'x-other': 'no' },
    });
    expect(r.status).toBe(202);
    const [m] = await h.waitFor(1);
    expect(m!.get('TRANSPORT')).toBe('http');
    expect(m!.get('SOURCEIP')).toBe('127.0.0.1');
    expect(typeof m!.get('SOURCEPORT')).toBe('number');
    expect(m!.get('HTTP.METHOD')).toBe('PUT');
    expect(m!.get('HTTP.PATH')).toBe('/ingest/acme');
    expect(m!.get('HTTP.PARAMS.tenant')).toBe('acme');
    expect(m!.get('HTTP.QUERY.env')).toBe('prod');
    expect(m!.get('HTTP.QUERY.tag')).toEqual(['a', 'b']);
    expect(m!.get('HTTP.HEADERS.x-request-id')).toBe('r-1');
    expect(m!.has('HTTP.HEADERS.x-other')).toBe(false);
  });

  it('takes SOURCEIP from X-Forwarded-For only with trustProxy', async () => {
    const { h, base } = await start({ trustProxy: true });
    await post(`${base}/`, 'x', 'text/plain', { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' });
    const [m] = await h.waitFor(1);
    expect(m!.get('SOURCEIP')).toBe('203.0.113.7');
    await harness!.stop();
    const second = await start();
    await post(`${second.base}/`, 'x', 'text/plain', { 'x-forwarded-for': '203.0.113.7' });
    expect((await second.h.waitFor(1))[0]!.get('SOURCEIP')).toBe('127.0.0.1');
  });
});

describe('HttpSource compressed bodies', () => {
  const body = ndjson(50);
  it.each([
    ['gzip', gzipSync(body)],
    ['deflate', deflateSync(body)],
    ['deflate', deflateRawSync(body)],
    ['br', brotliCompressSync(body)],
  ])('accepts %s', async (encoding, compressed) => {
    const { h, base } = await start();
    const r = await post(`${base}/`, compressed, 'application/x-ndjson', {
      'content-encoding': encoding,
    });
    expect(r.json).toEqual({ accepted: 50 });
    expect((await h.waitFor(50)).at(-1)!.get('MESSAGE')).toBe('m49');
  });

  it('caps the decompressed size: a gzip bomb gets 413', async () => {
    const { h, base } = await start({ maxBodyBytes: 64 * 1024 });
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61)); // ~8 KiB on the wire
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post(`${base}/`, bomb, 'text/plain', { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/decompressed body exceeds maxBodyBytes/);
    expect(h.stats().find((s) => s.kind === 'source')!.received).toBe(0);
  });

  it('refuses corrupt and unsupported encodings', async () => {
    const { base } = await start();
    const corrupt = await post(`${base}/`, Buffer.from('not gzip'), 'text/plain', {
      'content-encoding': 'gzip',
    });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json.error).toMatch(/gzip body could not be decompressed/);
    const zstd = await post(`${base}/`, Buffer.from('x'), 'text/plain', {
      'content-encoding': 'zstd',
    });
    expect(zstd.status).toBe(415);
    expect(zstd.json).toMatchObject({ error: 'unsupported Content-Encoding "zstd"' });
  });
});

describe('HttpSource bad input', () => {
  it('refuses a request whole: a bad line posts nothing, and names the line', async () => {
    const { h, base } = await start();
    const r = await post(
      `${base}/`,
      `${ndjson(3)}{"message": oops}\n${ndjson(2, 3)}`,
      'application/x-ndjson',
    );
    expect(r.status).toBe(400);
    expect(r.json.line).toBe(4);
    expect(r.json.error).toMatch(/^line 4 is not valid JSON/);
    expect((await post(`${base}/`, '{"message":"after"}', 'application/json')).status).toBe(202);
    const msgs = await h.waitFor(1);
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual(['after']);
  });

  it('posts nothing of a body whose client went away mid-upload', async () => {
    const { h, base, port } = await start();
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
    });
    req.on('error', () => {});
    req.write('complete line\npartial');
    await new Promise<void>((resolve) =>
      req.once('socket', (sock) => sock.once('connect', resolve)),
    );
    req.destroy();
    expect((await post(`${base}/`, 'after', 'text/plain')).status).toBe(202);
    await h.stop(); // waits for every connection, so the aborted one has been handled
    expect(h.messages.map((m) => m.get('MESSAGE'))).toEqual(['after']);
  });

  it('answers 413 to an oversize body, by Content-Length or while streaming', async () => {
    const { h, base } = await start({ maxBodyBytes: 1000 });
    const big = 'x'.repeat(5000);
    const declared = await post(`${base}/`, big, 'text/plain');
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ maxBodyBytes: 1000, contentLength: 5000 });
    const chunked = await send(`${base}/`, {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
    });
    expect(chunked.status).toBe(413);
    expect(h.stats().find((s) => s.kind === 'source')!.received).toBe(0);
  });

  it('answers 413 to a line over maxLineBytes, 415 to unknown types, 400 to invalid UTF-8', async () => {
    const { base } = await start({ maxLineBytes: 10 });
    const long = await post(`${base}/`, 'short\nthis line is too long\n', 'text/plain');
    expect(long.status).toBe(413);
    expect(long.json).toMatchObject({ line: 2, maxLineBytes: 10 });
    const form = await post(`${base}/`, 'a=1', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    const latin1 = await post(`${base}/`, Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain');
    expect(latin1.status).toBe(400);
    expect(latin1.json).toMatchObject({ line: 1, offset: 3 });
  });

  it('answers JSON 404, 405 with Allow, and 200 on the health route', async () => {
    const { base } = await start({ path: '/ingest' });
    const missing = await post(`${base}/elsewhere`, 'x', 'text/plain');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe('no route for POST /elsewhere');
    const get = await send(`${base}/ingest`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST, PUT');
    const health = await send(`${base}/health`);
    expect([health.status, health.json]).toEqual([200, { status: 'ok' }]);
  });
});

describe('HttpSource CORS', () => {
  it('answers preflights for allowed origins and tags answers', async () => {
    const { base } = await start({ cors: { origin: ['https://app.example.com'] } });
    const pre = await send(`${base}/`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-methods']).toBe('POST, PUT');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type, authorization');
    const ok = await post(`${base}/`, 'x', 'text/plain', { origin: 'https://app.example.com' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await post(`${base}/`, 'x', 'text/plain', { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
