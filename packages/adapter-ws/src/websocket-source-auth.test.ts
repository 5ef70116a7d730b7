import { execFileSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { connect, refusedStatus, sendFrame, startWs, type WsHarness } from './test-ws-helpers.js';

let h: WsHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

describe('WebSocketSource auth on upgrade', () => {
  it('bearer: Authorization header or ?token=; refusals get 401 with WWW-Authenticate and never open', async () => {
    h = await startWs({ auth: { bearer: ['s3cret', 'other-token'] } });
    expect(await refusedStatus(h.url)).toBe(401);
    expect(await refusedStatus(h.url, { headers: { Authorization: 'Bearer s3cre' } })).toBe(401);
    expect(await refusedStatus(h.url, { headers: { Authorization: 'Bearer s3cret-' } })).toBe(401);
    expect(await refusedStatus(`${h.url}?token=wrong`)).toBe(401);
    expect(h.ws.connectionCount).toBe(0);
    const a = await connect(h.url, { headers: { Authorization: 'Bearer other-token' } });
    const b = await connect(`${h.url}?token=s3cret&app=x`);
    await sendFrame(a, 'via header');
    await sendFrame(b, 'via query');
    const msgs = await h.waitFor(2);
    // The credential never becomes a field; other query parameters do.
    expect(msgs.find((m) => m.get('MESSAGE') === 'via query')!.has('WS.QUERY.token')).toBe(false);
    expect(msgs.find((m) => m.get('MESSAGE') === 'via query')!.get('WS.QUERY.app')).toBe('x');
    a.close();
    b.close();
  });

  it('bearer with queryParam: false ignores ?token=', async () => {
    h = await startWs({ auth: { bearer: ['s3cret'], queryParam: false } });
    expect(await refusedStatus(`${h.url}?token=s3cret`)).toBe(401);
  });

  it('the 401 carries a challenge and a JSON body', async () => {
    h = await startWs({ auth: { bearer: ['s3cret'] } });
    const { status, headers, body } = await new Promise<{
      status: number;
      headers: IncomingHttpHeaders;
      body: string;
    }>((resolve, reject) => {
      const req = request(h!.url.replace('ws:', 'http:'), {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', () => reject(new Error('upgraded without credentials')));
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe('Bearer realm="logpath"');
    expect(JSON.parse(body)).toEqual({ error: 'missing or invalid credentials' });
  });

  it('basic: username and password must both match', async () => {
    h = await startWs({ auth: { basic: { username: 'ingest', password: 'pa:ss' } } });
    expect(
      await refusedStatus(h.url, { headers: { Authorization: basic('ingest', 'wrong') } }),
    ).toBe(401);
    expect(
      await refusedStatus(h.url, { headers: { Authorization: basic('other', 'pa:ss') } }),
    ).toBe(401);
    expect(await refusedStatus(h.url, { headers: { Authorization: 'Basic !!!' } })).toBe(401);
    const c = await connect(h.url, { headers: { Authorization: basic('ingest', 'pa:ss') } });
    await sendFrame(c, 'in');
    await h.waitFor(1);
    c.close();
  });

  it('header: one of the listed values, in the header or ?token=', async () => {
    h = await startWs({ auth: { header: 'X-Api-Key', values: ['k1', 'k2'] } });
    expect(await refusedStatus(h.url, { headers: { 'x-api-key': 'k3' } })).toBe(401);
    const a = await connect(h.url, { headers: { 'X-API-KEY': 'k2' } });
    const b = await connect(`${h.url}?token=k1`);
    a.close();
    b.close();
  });

  it('function: sync or async verdicts; a throwing function refuses with 500 and is logged', async () => {
    let calls = 0;
    h = await startWs({
      auth: async (req) => {
        calls++;
        if (req.headers['x-boom']) throw new Error('auth backend down');
        await new Promise((r) => setImmediate(r));
        return req.headers['x-user'] === 'alice';
      },
    });
    expect(await refusedStatus(h.url, { headers: { 'x-user': 'bob' } })).toBe(401);
    expect(await refusedStatus(h.url, { headers: { 'x-boom': '1' } })).toBe(500);
    expect(h.logs.some((l) => l.level === 'error' && l.stack?.includes('auth backend down'))).toBe(
      true,
    );
    const c = await connect(h.url, { headers: { 'x-user': 'alice' } });
    expect(calls).toBe(3);
    c.close();
  });
});

describe('WebSocketSource TLS', () => {
  it('serves wss:// with TRANSPORT wss', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'logpath-ws-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const key = await readFile(join(dir, 'key.pem'));
      const cert = await readFile(join(dir, 'cert.pem'));
      h = await startWs({ tls: { key, cert } }, {}, 'wss');
      await expect(connect(h.url)).rejects.toThrow(/self[- ]signed/i);
      const c = await connect(h.url, { ca: cert });
      await sendFrame(c, 'secure');
      const [m] = await h.waitFor(1);
      expect(m!.get('TRANSPORT')).toBe('wss');
      c.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
