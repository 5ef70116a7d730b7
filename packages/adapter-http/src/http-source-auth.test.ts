import { startSource, type SourceHarness } from '@logpath/core/testing';
import { afterAll, afterEach, beforeAll, describe, it, expect } from 'vitest';
import { HttpSource } from './http-source.js';
import type { HttpSourceOptions } from './http-source-options.js';
import { post, selfSigned, send, type SelfSigned } from './test-http.js';

let harness: SourceHarness<HttpSourceOptions> | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(
  options: HttpSourceOptions,
): Promise<{ h: SourceHarness<HttpSourceOptions>; port: number }> {
  harness = await startSource(HttpSource, { options: { host: '127.0.0.1', port: 0, ...options } });
  return { h: harness, port: await (harness.source as HttpSource).whenListening() };
}

const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('HttpSource auth', () => {
  it('bearer: 401 with WWW-Authenticate without a valid token; health stays open', async () => {
    const { h, port } = await start({ auth: { bearer: ['tok-1', 'tok-2'] } });
    const base = `http://127.0.0.1:${port}`;
    const none = await post(`${base}/`, 'x', 'text/plain');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="logpath"');
    expect(none.json.error).toMatch(/bearer token/);
    expect(
      (await post(`${base}/`, 'x', 'text/plain', { authorization: 'Bearer tok-3' })).status,
    ).toBe(401);
    expect(
      (await post(`${base}/`, 'ok', 'text/plain', { authorization: 'Bearer tok-2' })).status,
    ).toBe(202);
    expect((await send(`${base}/health`)).status).toBe(200);
    expect((await h.waitFor(1)).map((m) => m.get('MESSAGE'))).toEqual(['ok']);
  });

  it('refuses before reading the body, closing the connection when the body is large', async () => {
    const { h, port } = await start({ auth: { bearer: ['t'] } });
    const r = await post(`http://127.0.0.1:${port}/`, 'x'.repeat(200_000), 'text/plain');
    expect(r.status).toBe(401);
    expect(r.headers.connection).toBe('close');
    expect(h.stats().find((s) => s.kind === 'source')!.received).toBe(0);
  });

  it('basic: both username and password must match', async () => {
    const { port } = await start({ auth: { basic: { username: 'ingest', password: 's3cret' } } });
    const base = `http://127.0.0.1:${port}`;
    const wrong = await post(`${base}/`, 'x', 'text/plain', {
      authorization: basic('ingest', 'nope'),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="logpath", charset="UTF-8"');
    expect(
      (await post(`${base}/`, 'x', 'text/plain', { authorization: basic('ingest', 's3cret') }))
        .status,
    ).toBe(202);
  });

  it('header: an API key header', async () => {
    const { port } = await start({ auth: { header: 'X-Api-Key', values: ['k-1'] } });
    const base = `http://127.0.0.1:${port}`;
    expect((await post(`${base}/`, 'x', 'text/plain', { 'x-api-key': 'k-2' })).status).toBe(401);
    expect((await post(`${base}/`, 'x', 'text/plain', { 'x-api-key': 'k-1' })).status).toBe(202);
  });

  it('function: sync or async; a throwing check is a 500, never an accept', async () => {
    const { h, port } = await start({
      auth: async (req) => {
        if (req.headers['x-boom'] !== undefined) throw new Error('auth backend down');
        return req.headers['x-tenant'] === 'acme';
      },
    });
    const base = `http://127.0.0.1:${port}`;
    const denied = await post(`${base}/`, 'x', 'text/plain', { 'x-tenant': 'other' });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Custom realm="logpath"');
    expect((await post(`${base}/`, 'x', 'text/plain', { 'x-boom': '1' })).status).toBe(500);
    expect(h.logs.some((l) => l.level === 'error' && l.stack?.includes('auth backend down'))).toBe(
      true,
    );
    expect((await post(`${base}/`, 'x', 'text/plain', { 'x-tenant': 'acme' })).status).toBe(202);
  });
});

describe('HttpSource TLS', () => {
  let server: SelfSigned;
  let client: SelfSigned;
  beforeAll(async () => {
    [server, client] = await Promise.all([selfSigned('localhost'), selfSigned('client-1')]);
  });
  afterAll(async () => {
    await Promise.all([server.cleanup(), client.cleanup()]);
  });

  it('serves HTTPS with a self-signed certificate; TRANSPORT is https', async () => {
    const { h, port } = await start({ tls: { key: server.key, cert: server.cert } });
    const r = await send(`https://127.0.0.1:${port}/`, {
      method: 'POST',
      body: '{"message":"secure"}',
      headers: { 'content-type': 'application/json' },
      ca: server.cert,
    });
    expect(r.status).toBe(202);
    const [m] = await h.waitFor(1);
    expect(m!.get('TRANSPORT')).toBe('https');
    await expect(send(`https://127.0.0.1:${port}/health`)).rejects.toThrow(/self[- ]signed/i); // not trusted without the CA
  });

  it('requestClientCert: only clients with a certificate from `ca` get in', async () => {
    const { port } = await start({
      tls: { key: server.key, cert: server.cert, ca: client.cert, requestClientCert: true },
    });
    const url = `https://127.0.0.1:${port}/`;
    const body = {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
      ca: server.cert,
    };
    await expect(send(url, body)).rejects.toThrow();
    expect((await send(url, { ...body, cert: client.cert, key: client.key })).status).toBe(202);
  });
});
