/**
 * Credentials at the door: HttpSource and WebSocketSource with bearer, basic
 * and API-key auth get requests without credentials, with wrong ones and with
 * almost-right ones (one character off, a case flipped, truncated or
 * extended, the right user with a wrong password, a bearer token sent as
 * basic, the right value under a wrong header name or query parameter).
 * None may post a message: HTTP answers 401 with WWW-Authenticate, a
 * WebSocket upgrade is refused with 401 (even when the client sends frames
 * right behind the request). The right credentials still work after all of
 * them.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defineConfig, Pipeline } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import { HttpSource, type HttpSourceOptions } from '@logpath/adapter-http';
import { WebSocketSource, type WebSocketSourceOptions } from '@logpath/adapter-ws';
import { fuzzParams } from './fuzz-support.js';
import { httpSend, parseRawResponse, rawExchange } from './hostile-net-support.js';
import { writeResult } from './results.js';

const TOKEN = 'Tk-9f2c.A7_q';
const USER = 'ingest';
const PASS = 's3cr:et-P4ss';
const KEY = 'k3y-0123456789';
const basic = (u: string, p: string): string =>
  `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** Requests and upgrades sent with bad credentials, each checked to be refused. */
const refused = { http: 0, ws: 0 };
let pipeline: Pipeline;
let capture: CaptureDestination;
const port = new Map<string, number>();

beforeAll(async () => {
  const http = (auth: HttpSourceOptions['auth']) => ({
    class: HttpSource,
    options: { host: '127.0.0.1', port: 0, format: 'text' as const, auth },
  });
  const ws = (auth: WebSocketSourceOptions['auth']) => ({
    class: WebSocketSource,
    options: { host: '127.0.0.1', port: 0, auth },
  });
  const sources = {
    httpBearer: http({ bearer: [TOKEN] }),
    httpBasic: http({ basic: { username: USER, password: PASS } }),
    httpKey: http({ header: 'X-Api-Key', values: [KEY] }),
    wsBearer: ws({ bearer: [TOKEN] }),
    wsBasic: ws({ basic: { username: USER, password: PASS } }),
    wsKey: ws({ header: 'X-Api-Key', values: [KEY] }),
  };
  pipeline = new Pipeline(
    defineConfig({
      sources: sources as never,
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: Object.keys(sources), destinations: ['capture'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  capture = pipeline.component('capture') as CaptureDestination;
  for (const name of Object.keys(sources)) {
    const c = pipeline.component(name) as HttpSource | WebSocketSource;
    port.set(name, await c.whenListening());
  }
});

afterAll(async () => {
  await pipeline?.stop();
});

/** One edit of a secret: what a typo, a guess or a near miss looks like. */
const edit = fc.record({
  op: fc.constantFrom('replace', 'insert', 'delete', 'flip-case', 'truncate', 'append', 'prefix'),
  at: fc.nat(),
  ch: fc.constantFrom('a', 'A', '0', '9', '-', '_', '.', ':', '=', '+', '/', 'é', '\t', ' '),
});
function almost(secret: string, e: { op: string; at: number; ch: string }): string {
  const p = e.at % secret.length;
  switch (e.op) {
    case 'replace':
      return secret.slice(0, p) + e.ch + secret.slice(p + 1);
    case 'insert':
      return secret.slice(0, p) + e.ch + secret.slice(p);
    case 'delete':
      return secret.slice(0, p) + secret.slice(p + 1);
    case 'flip-case': {
      const c = secret[p]!;
      const f = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return secret.slice(0, p) + f + secret.slice(p + 1);
    }
    case 'truncate':
      return secret.slice(0, p);
    case 'append':
      return secret + e.ch;
    default:
      return e.ch + secret;
  }
}
/** Servers drop the whitespace around a header value: such a variant is the secret itself. */
const differs = (v: string, secret: string): boolean => v.trim() !== secret && !/[\r\n]/.test(v);

/** An HTTP request that must be refused: 401, the challenge, a JSON body, nothing posted. */
async function refusedHttp(
  name: string,
  headers: Record<string, string>,
  path = '/',
): Promise<void> {
  const before = capture.messages.length;
  refused.http++;
  const a = await httpSend(port.get(name)!, {
    path,
    headers: { 'content-type': 'text/plain', ...headers },
    body: 'intruder',
  });
  const what = `${name} ${JSON.stringify(headers)} ${path}: ${a.status} ${a.text}`;
  expect(a.status, what).toBe(401);
  expect(a.headers['www-authenticate'], what).toMatch(/realm="logpath"/);
  expect(a.json?.error, what).toMatch(/^unauthorized/);
  expect(capture.messages.length, what).toBe(before);
}

/** The status and headers of an upgrade; 101 when it was accepted (the client is closed at once). */
function upgrade(
  name: string,
  query: string,
  headers: Record<string, string>,
): Promise<{ status: number; challenge?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port.get(name)!}/${query}`, { headers });
    ws.once('open', () => {
      ws.send('intruder');
      ws.close();
      resolve({ status: 101 });
    });
    ws.once('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] });
      req.destroy();
    });
    ws.once('error', reject);
  });
}

async function refusedWs(
  name: string,
  query: string,
  headers: Record<string, string>,
): Promise<void> {
  const before = capture.messages.length;
  refused.ws++;
  const r = await upgrade(name, query, headers);
  const what = `${name} ${query} ${JSON.stringify(headers)}`;
  expect(r.status, what).toBe(401);
  if (name !== 'wsKey') expect(r.challenge, what).toMatch(/realm="logpath"/);
  expect(capture.messages.length, what).toBe(before);
}

describe('HttpSource credentials', () => {
  it('refuses missing and wrong credentials of every kind', async () => {
    for (const name of ['httpBearer', 'httpBasic', 'httpKey']) {
      await refusedHttp(name, {});
      await refusedHttp(name, { authorization: '' });
      await refusedHttp(name, { authorization: 'Bearer' });
      await refusedHttp(name, { authorization: 'Bearer ' });
      await refusedHttp(name, { authorization: 'Basic' });
      await refusedHttp(name, { authorization: basic('', '') });
      await refusedHttp(name, { authorization: 'Basic !!!not-base64!!!' });
    }
    // The right secret in the wrong place.
    await refusedHttp('httpBearer', { authorization: basic(TOKEN, '') });
    await refusedHttp('httpBearer', {
      authorization: `Basic ${Buffer.from(TOKEN).toString('base64')}`,
    });
    await refusedHttp('httpBearer', { authorization: `Token ${TOKEN}` });
    await refusedHttp('httpBearer', { authorization: `Bearer${TOKEN}` });
    await refusedHttp('httpBearer', { 'x-api-key': TOKEN });
    await refusedHttp('httpBearer', {}, `/?token=${TOKEN}`);
    await refusedHttp('httpBearer', { authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` });
    await refusedHttp('httpBasic', { authorization: basic(USER, PASS.slice(0, -1)) });
    await refusedHttp('httpBasic', { authorization: basic(USER.toUpperCase(), PASS) });
    await refusedHttp('httpBasic', { authorization: basic(PASS, USER) });
    await refusedHttp('httpBasic', { authorization: basic(USER, '') });
    await refusedHttp('httpBasic', {
      authorization: `Basic ${Buffer.from(USER + PASS).toString('base64')}`,
    });
    await refusedHttp('httpBasic', {
      authorization: `Bearer ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`,
    });
    await refusedHttp('httpBasic', { authorization: `Bearer ${USER}:${PASS}` });
    await refusedHttp('httpKey', { 'x-api-keys': KEY });
    await refusedHttp('httpKey', { 'x-api_key': KEY });
    await refusedHttp('httpKey', { authorization: `Bearer ${KEY}` });
    await refusedHttp('httpKey', { 'x-api-key': `${KEY}, ${KEY}` });
    await refusedHttp('httpKey', {}, `/?x-api-key=${KEY}`);
  });

  it('refuses almost-right credentials (one edit away) in every auth mode', async () => {
    await fc.assert(
      fc.asyncProperty(edit, fc.constantFrom('bearer', 'user', 'pass', 'key'), async (e, which) => {
        const secret =
          which === 'bearer' ? TOKEN : which === 'user' ? USER : which === 'pass' ? PASS : KEY;
        const v = almost(secret, e);
        fc.pre(differs(v, secret));
        if (which === 'bearer') await refusedHttp('httpBearer', { authorization: `Bearer ${v}` });
        else if (which === 'user')
          await refusedHttp('httpBasic', { authorization: basic(v, PASS) });
        else if (which === 'pass')
          await refusedHttp('httpBasic', { authorization: basic(USER, v) });
        else await refusedHttp('httpKey', { 'x-api-key': v });
      }),
      fuzzParams(0x0a71, 150),
    );
  }, 60_000);

  it('still accepts the right credentials', async () => {
    const ok = { 'content-type': 'text/plain' };
    const answers = await Promise.all([
      httpSend(port.get('httpBearer')!, {
        headers: { ...ok, authorization: `Bearer ${TOKEN}` },
        body: 'b',
      }),
      httpSend(port.get('httpBasic')!, {
        headers: { ...ok, authorization: basic(USER, PASS) },
        body: 'b',
      }),
      httpSend(port.get('httpKey')!, { headers: { ...ok, 'x-api-key': KEY }, body: 'b' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
  });
});

describe('WebSocketSource credentials', () => {
  it('refuses upgrades without, with wrong and with misplaced credentials', async () => {
    for (const name of ['wsBearer', 'wsBasic', 'wsKey']) {
      await refusedWs(name, '', {});
      await refusedWs(name, '?token=', {});
      await refusedWs(name, '?token', {});
      await refusedWs(name, '', { authorization: 'Bearer ' });
      await refusedWs(name, '', { authorization: basic('', '') });
    }
    await refusedWs('wsBearer', `?Token=${TOKEN}`, {});
    await refusedWs('wsBearer', `?access_token=${TOKEN}`, {});
    await refusedWs('wsBearer', `?token=wrong&token=${TOKEN}`, {});
    await refusedWs('wsBearer', `?token=${TOKEN}x`, {});
    await refusedWs('wsBearer', `?token=${TOKEN.slice(1)}`, {});
    await refusedWs('wsBearer', `?token=${encodeURIComponent(' ' + TOKEN)}`, {});
    await refusedWs('wsBearer', '', { authorization: basic(TOKEN, '') });
    await refusedWs('wsBearer', '', { authorization: `Bearer ${TOKEN} extra` });
    await refusedWs('wsBearer', '', { 'x-token': TOKEN });
    // A wrong header wins over a right query parameter: the header is what was presented.
    await refusedWs('wsBearer', `?token=${TOKEN}`, { authorization: 'Bearer wrong' });
    await refusedWs('wsBasic', `?token=${TOKEN}`, {});
    await refusedWs('wsBasic', '', { authorization: basic(USER, `${PASS}x`) });
    await refusedWs('wsBasic', '', { authorization: basic(USER, '') });
    await refusedWs('wsBasic', '', { authorization: `Bearer ${USER}:${PASS}` });
    await refusedWs('wsKey', `?token=${KEY}x`, {});
    await refusedWs('wsKey', `?x-api-key=${KEY}`, {});
    await refusedWs('wsKey', '', { 'x-api-keys': KEY });
    await refusedWs('wsKey', '', { authorization: `Bearer ${KEY}` });
  });

  it('refuses almost-right tokens, in the header and in ?token=', async () => {
    await fc.assert(
      fc.asyncProperty(
        edit,
        fc.constantFrom('bearer-header', 'bearer-query', 'key-header', 'key-query', 'pass'),
        async (e, where) => {
          const secret = where.startsWith('bearer') ? TOKEN : where === 'pass' ? PASS : KEY;
          const v = almost(secret, e);
          fc.pre(differs(v, secret) && v !== '');
          if (where === 'bearer-header')
            await refusedWs('wsBearer', '', { authorization: `Bearer ${v}` });
          else if (where === 'bearer-query')
            await refusedWs('wsBearer', `?token=${encodeURIComponent(v)}`, {});
          else if (where === 'key-header') await refusedWs('wsKey', '', { 'x-api-key': v });
          else if (where === 'key-query')
            await refusedWs('wsKey', `?token=${encodeURIComponent(v)}`, {});
          else await refusedWs('wsBasic', '', { authorization: basic(USER, v) });
        },
      ),
      fuzzParams(0x0b7a1, 120),
    );
  }, 60_000);

  it('reads no frame a refused client sends right behind its upgrade request', async () => {
    const before = capture.messages.length;
    // A masked text frame "intruder" (mask 0): sent in the same write as the request.
    const frame = Buffer.concat([Buffer.from([0x81, 0x88, 0, 0, 0, 0]), Buffer.from('intruder')]);
    const request =
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Authorization: Bearer wrong\r\n\r\n';
    const { text, closed } = await rawExchange(
      port.get('wsBearer')!,
      Buffer.concat([Buffer.from(request), frame, frame]),
    );
    expect(closed).toBe(true);
    expect(parseRawResponse(text).status).toBe(401);
    expect(capture.messages.length).toBe(before);
  });

  it('still accepts the right credentials, in the header and in ?token=', async () => {
    const before = capture.messages.length;
    for (const [name, query, headers] of [
      ['wsBearer', '', { authorization: `Bearer ${TOKEN}` }],
      ['wsBearer', `?token=${encodeURIComponent(TOKEN)}`, {}],
      ['wsBasic', '', { authorization: basic(USER, PASS) }],
      ['wsKey', '', { 'x-api-key': KEY }],
      ['wsKey', `?token=${KEY}`, {}],
    ] as const) {
      expect((await upgrade(name, query, headers)).status, `${name} ${query}`).toBe(101);
    }
    await expect.poll(() => capture.messages.length).toBeGreaterThanOrEqual(before + 5);
    // The token never becomes a field.
    for (const m of capture.messages) expect(m.has('WS.QUERY.token')).toBe(false);
    // Only the right credentials posted: 3 HTTP bodies and 5 WebSocket frames.
    const texts = capture.messages.map((m) => m.get('MESSAGE'));
    expect(texts.filter((t) => t === 'intruder')).toEqual(Array(5).fill('intruder'));
    await writeResult({
      scenario: 'security-auth',
      load: `${refused.http} HTTP requests and ${refused.ws} WebSocket upgrades with bad credentials, then 8 with the right ones`,
      injected:
        'no, wrong and almost-right credentials (one edit off, right user wrong password, bearer as basic, wrong header name, ?token= variants, frames behind a refused upgrade)',
      sent: 8,
      delivered: capture.messages.length,
      duplicated: 0,
      lost: 8 - capture.messages.length,
      peakRssMiB: null,
      details: {
        intruderMessagesPosted: capture.messages.length - 8,
        date: new Date().toISOString(),
      },
    });
  });
});
