import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { LogMessage } from '@logpath/core';
import { runDestination } from '@logpath/core/testing';
import { afterEach, describe, it, expect } from 'vitest';
import { HttpDestination } from './http-destination.js';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}
/** What the scripted server does with request number `n` (0-based): answer, hang, or cut the connection. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

let servers: Server[] = [];
afterEach(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  servers = [];
});

async function scripted(reply: (n: number, r: Received) => Reply = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body =
        req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      const r: Received = { url: req.url!, headers: req.headers, body, at: Date.now() };
      const what = reply(received.length, r);
      received.push(r);
      if (what === 'hang') return;
      if (what === 'reset') return void req.socket.destroy();
      res.writeHead(what.status, what.headers).end(what.body ?? '');
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const delivered = (n: number) => Array.from({ length: n }, () => 'delivered');
const ndjsonMessages = (r: Received) =>
  r.body
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE);

describe('HttpDestination bodies', () => {
  it('ndjson by default, in batches of batchLines, with headers and auth', async () => {
    const srv = await scripted();
    const run = await runDestination(HttpDestination, {
      options: { url: `${srv.url}/ingest`, headers: { 'X-Team': 'ops' }, auth: { bearer: 'tok' } },
      messages: ['a', 'b', 'c', 'd', 'e'],
      batchLines: 2,
    });
    expect(run.acks).toEqual(delivered(5));
    expect(srv.received.flatMap(ndjsonMessages)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(srv.received.map((r) => ndjsonMessages(r).length)).toEqual([2, 2, 1]);
    const first = srv.received[0]!;
    expect(first.url).toBe('/ingest');
    expect(first.headers['content-type']).toBe('application/x-ndjson');
    expect(first.headers.authorization).toBe('Bearer tok');
    expect(first.headers['x-team']).toBe('ops');
    expect(first.headers.connection).toBe('keep-alive');
  });

  it('json-array with gzip', async () => {
    const srv = await scripted();
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url, format: 'json-array', gzip: true },
      messages: [new LogMessage('x').set('n', 1), 'y'],
      batchLines: 10,
    });
    expect(run.acks).toEqual(delivered(2));
    expect(srv.received[0]!.headers['content-encoding']).toBe('gzip');
    const arr = JSON.parse(srv.received[0]!.body) as Record<string, unknown>[];
    expect(arr.map((o) => [o.MESSAGE, o.n])).toEqual([
      ['x', 1],
      ['y', undefined],
    ]);
  });

  it('a template per line, with Basic auth', async () => {
    const srv = await scripted();
    await runDestination(HttpDestination, {
      options: {
        url: srv.url,
        format: { template: '${HOST} ${MESSAGE}' },
        auth: { basic: { username: 'u', password: 'p' } },
      },
      messages: [new LogMessage('one').set('HOST', 'h1'), new LogMessage('two').set('HOST', 'h2')],
      batchLines: 10,
    });
    expect(srv.received[0]!.body).toBe('h1 one\nh2 two\n');
    expect(srv.received[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(srv.received[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
  });
});

describe('HttpDestination results', () => {
  it('fails, throttles (honouring Retry-After) and recovers: nothing lost, retries counted', async () => {
    const srv = await scripted((n) =>
      n === 0
        ? { status: 503 }
        : n === 1
          ? { status: 429, headers: { 'retry-after': '1' } }
          : { status: 204 },
    );
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url },
      messages: ['a', 'b', 'c'],
      batchLines: 3,
      retries: 5,
      timeReopen: 10,
    });
    expect(run.acks).toEqual(delivered(3));
    expect(srv.received.map(ndjsonMessages)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(run.stats.find((s) => s.name === 'destination')!.retried).toBe(2 * 3); // 2 resends of 3 messages
    expect(srv.received[2]!.at - srv.received[1]!.at).toBeGreaterThanOrEqual(900); // Retry-After: 1, not timeReopen: 10
    expect(
      run.logs.some(
        (l) =>
          l.level === 'warn' &&
          l.message.includes('answered 429') &&
          l.message.includes('Retry-After (1000 ms)'),
      ),
    ).toBe(true);
  });

  it('a server that throttles more than `retries` times delays the batch but does not drop it', async () => {
    // Four throttled answers with retries: 2; maxRetryAfter caps the 1 s asks to 50 ms.
    const srv = await scripted((n) =>
      n < 3
        ? { status: 429, headers: { 'retry-after': '1' } }
        : n === 3
          ? { status: 503, headers: { 'retry-after': '1' } }
          : { status: 200 },
    );
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url, maxRetryAfter: 50 },
      messages: ['a', 'b'],
      batchLines: 2,
      retries: 2,
      timeReopen: 60_000, // were the asks not honoured, the run would time out
    });
    expect(run.acks).toEqual(delivered(2));
    expect(srv.received.map(ndjsonMessages)).toEqual(Array.from({ length: 5 }, () => ['a', 'b']));
    for (let i = 1; i < 5; i++) {
      // setTimeout may fire a millisecond early
      expect(srv.received[i]!.at - srv.received[i - 1]!.at).toBeGreaterThanOrEqual(49);
    }
    const stats = run.stats.find((s) => s.name === 'destination')!;
    expect(stats.retried).toBe(4 * 2); // 4 resends of 2 messages
    expect(stats.dropped).toEqual({});
    expect(run.logs.filter((l) => l.message.includes('after Retry-After (50 ms)'))).toHaveLength(4);
  });

  it('gives up after `retries` ERRORs: the batch is dropped (a Retry-After on other statuses, or of 0, is no throttle)', async () => {
    const srv = await scripted((n) =>
      n === 0
        ? { status: 500, headers: { 'retry-after': '1' }, body: 'database down' }
        : { status: 429, headers: { 'retry-after': '0' } },
    );
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url },
      messages: ['a'],
      retries: 2,
      timeReopen: 5,
    });
    expect(run.acks).toEqual(['dropped']);
    expect(srv.received).toHaveLength(2);
    expect(srv.received[1]!.at - srv.received[0]!.at).toBeLessThan(900); // timeReopen, not Retry-After
    expect(run.logs.some((l) => l.message.includes('answered 500 (database down)'))).toBe(true);
    expect(run.logs.some((l) => l.message.includes('Retry-After ('))).toBe(false);
  });

  it('other 4xx: DROP at once (the fallback gets them)', async () => {
    const srv = await scripted(() => ({ status: 400, body: '{"error":"bad field"}' }));
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url },
      messages: ['a', 'b'],
      batchLines: 2,
    });
    expect(run.acks).toEqual(['dropped', 'dropped']);
    expect(srv.received).toHaveLength(1);
    expect(
      run.logs.some(
        (l) =>
          l.level === 'error' &&
          l.message.includes('answered 400 ({"error":"bad field"}); dropping 2 messages'),
      ),
    ).toBe(true);
  });

  it('network errors and timeouts: NOT_CONNECTED, resent until the server answers', async () => {
    const srv = await scripted((n) => (n === 0 ? 'reset' : n === 1 ? 'hang' : { status: 200 }));
    const run = await runDestination(HttpDestination, {
      options: { url: srv.url, timeout: 200 },
      messages: ['a', 'b'],
      batchLines: 2,
      retries: 1, // NOT_CONNECTED is not bounded by retries
      timeReopen: 10,
    });
    expect(run.acks).toEqual(delivered(2));
    expect(srv.received).toHaveLength(3);
    expect(run.logs.filter((l) => l.message.includes('reconnecting'))).toHaveLength(2);
    expect(run.logs.some((l) => l.message.includes('no answer within timeout (200 ms)'))).toBe(
      true,
    );
  });
});

describe('HttpDestination URL templates', () => {
  const msgs = () => ['a1', 'b1', 'a2', 'b2'].map((t) => new LogMessage(t).set('tenant', t[0]!));

  it('groups each batch per expanded URL', async () => {
    const srv = await scripted();
    const run = await runDestination(HttpDestination, {
      options: { url: `${srv.url}/t/\${tenant}` },
      messages: msgs(),
      batchLines: 4,
    });
    expect(run.acks).toEqual(delivered(4));
    const byUrl = Object.fromEntries(srv.received.map((r) => [r.url, ndjsonMessages(r)]));
    expect(byUrl).toEqual({ '/t/a': ['a1', 'a2'], '/t/b': ['b1', 'b2'] });
  });

  it('resends only the URLs that failed: no duplicates for the others', async () => {
    let failedB = false;
    const srv = await scripted((_n, r) => {
      if (r.url === '/t/b' && !failedB) {
        failedB = true;
        return { status: 502 };
      }
      return { status: 200 };
    });
    const run = await runDestination(HttpDestination, {
      options: { url: `${srv.url}/t/\${tenant}` },
      messages: msgs(),
      batchLines: 4,
      timeReopen: 10,
    });
    expect(run.acks).toEqual(delivered(4));
    const a = srv.received.filter((r) => r.url === '/t/a').flatMap(ndjsonMessages);
    const b = srv.received.filter((r) => r.url === '/t/b').map(ndjsonMessages);
    expect(a).toEqual(['a1', 'a2']);
    expect(b).toEqual([
      ['b1', 'b2'],
      ['b1', 'b2'],
    ]);
  });

  it('a URL that failed beside a throttled one still counts against retries', async () => {
    const srv = await scripted((_n, r) =>
      r.url === '/t/a' ? { status: 429, headers: { 'retry-after': '30' } } : { status: 502 },
    );
    const run = await runDestination(HttpDestination, {
      options: { url: `${srv.url}/t/\${tenant}` },
      messages: msgs(),
      batchLines: 4,
      retries: 1,
      timeReopen: 60_000,
    });
    // retries: 1 drops the batch at its first counted ERROR, without waiting the 30 s asked by /t/a.
    expect(run.acks).toEqual(['dropped', 'dropped', 'dropped', 'dropped']);
    expect(srv.received.map((r) => r.url).sort()).toEqual(['/t/a', '/t/b']);
  });
});
