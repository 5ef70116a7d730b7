import { createServer } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import { startSource } from '@logpath/core/testing';
import { WebSocket, WebSocketServer } from 'ws';
import {
  closed,
  connect,
  refusedStatus,
  sendFrame,
  startWs,
  type WsHarness,
} from './test-ws-helpers.js';
import { WebSocketSource, type WebSocketSourceOptions } from './websocket-source.js';

let h: WsHarness | undefined;

/** Starts without waiting for the listening port (the server comes later). */
async function startWsNoWait(options: WebSocketSourceOptions): Promise<WsHarness> {
  const s = await startSource(WebSocketSource, { options });
  return Object.assign(s, { ws: s.source as WebSocketSource, url: '' });
}
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('WebSocketSource formats and fields', () => {
  it('text: one message per frame, with the connection fields and TRANSPORT ws', async () => {
    h = await startWs({ headers: ['X-Tenant'] });
    const c = await connect(`${h.url}?app=shop&tag=a&tag=b`, { headers: { 'x-tenant': 'acme' } });
    await sendFrame(c, 'hello\nworld');
    await sendFrame(c, 'second');
    const [a, b] = await h.waitFor(2);
    expect(a!.get('MESSAGE')).toBe('hello\nworld');
    expect(b!.get('MESSAGE')).toBe('second');
    expect(a!.get('TRANSPORT')).toBe('ws');
    expect(a!.get('SOURCEIP')).toBe('127.0.0.1');
    expect(a!.get('SOURCEPORT')).toBe(
      (c as unknown as { _socket: { localPort: number } })._socket.localPort,
    );
    expect(a!.get('WS.HEADERS.x-tenant')).toBe('acme');
    expect(a!.get('WS.QUERY.app')).toBe('shop');
    expect(a!.get('WS.QUERY.tag')).toEqual(['a', 'b']);
    expect(typeof a!.get('WS.CONNECTION_ID')).toBe('string');
    expect(b!.get('WS.CONNECTION_ID')).toBe(a!.get('WS.CONNECTION_ID'));
    const c2 = await connect(h.url);
    await sendFrame(c2, 'other');
    const [, , o] = await h.waitFor(3);
    expect(o!.get('WS.CONNECTION_ID')).not.toBe(a!.get('WS.CONNECTION_ID'));
    expect(o!.has('WS.HEADERS.x-tenant')).toBe(false);
    c.close();
    c2.close();
  });

  it('lines: one message per non-empty line, CRLF accepted', async () => {
    h = await startWs({ format: 'lines' });
    const c = await connect(h.url);
    await sendFrame(c, 'one\r\ntwo\n\nthree\n');
    const msgs = await h.waitFor(3);
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual(['one', 'two', 'three']);
    c.close();
  });

  it('json: an object is one message with typed fields; an array is one per element', async () => {
    h = await startWs({ format: 'json' });
    const c = await connect(h.url);
    await sendFrame(
      c,
      JSON.stringify({ message: 'hi', n: 42, ok: true, nested: { a: [1] }, __proto__x: 1 }),
    );
    await sendFrame(c, JSON.stringify([{ message: 'a' }, { message: 'b' }, 'plain']));
    const msgs = await h.waitFor(4);
    expect(msgs[0]!.get('MESSAGE')).toBe('hi');
    expect(msgs[0]!.get('n')).toBe(42);
    expect(msgs[0]!.get('ok')).toBe(true);
    expect(msgs[0]!.get('nested')).toEqual({ a: [1] });
    expect(msgs.slice(1).map((m) => m.get('MESSAGE'))).toEqual(['a', 'b', 'plain']);
    c.close();
  });

  it('json: "__proto__" keys are plain fields and pollute nothing', async () => {
    h = await startWs({ format: 'json' });
    const c = await connect(h.url);
    await sendFrame(
      c,
      '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}, "message": "p"}',
    );
    const [m] = await h.waitFor(1);
    expect(m!.get('__proto__')).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    c.close();
  });

  it('ndjson: one message per line; messageField names MESSAGE', async () => {
    h = await startWs({ format: 'ndjson', messageField: 'msg' });
    const c = await connect(h.url);
    await sendFrame(c, '{"msg":"a","i":1}\n{"msg":"b","i":2}\r\n\n{"msg":"c","i":3}');
    const msgs = await h.waitFor(3);
    expect(msgs.map((m) => [m.get('MESSAGE'), m.get('i')])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    c.close();
  });

  it('syslog: each line parsed as RFC 5424 / 3164', async () => {
    h = await startWs({ format: 'syslog' });
    const c = await connect(h.url);
    await sendFrame(
      c,
      '<34>1 2024-01-02T03:04:05Z web01 app 123 ID7 - started\n<13>Jan  2 03:04:05 host2 cron[9]: tick',
    );
    const [a, b] = await h.waitFor(2);
    expect(a!.get('HOST')).toBe('web01');
    expect(a!.get('PROGRAM')).toBe('app');
    expect(a!.get('MESSAGE')).toBe('started');
    expect(a!.getPri()).toBe(34);
    expect(b!.get('HOST')).toBe('host2');
    expect(b!.get('MESSAGE')).toBe('tick');
    expect(a!.get('TRANSPORT')).toBe('ws');
    c.close();
  });

  it('a client cannot spoof the connection fields through JSON', async () => {
    h = await startWs({ format: 'json' });
    const c = await connect(h.url);
    await sendFrame(c, '{"SOURCEIP":"6.6.6.6","WS.CONNECTION_ID":"fake","message":"x"}');
    const [m] = await h.waitFor(1);
    expect(m!.get('SOURCEIP')).toBe('127.0.0.1');
    expect(m!.get('WS.CONNECTION_ID')).not.toBe('fake');
    c.close();
  });
});

/**
 * Sends `badFrame` from one client and `goodFrame` from another: resolves with
 * how the bad client was closed once the good frame, and nothing else, arrived.
 */
async function badBesideGood(
  w: WsHarness,
  badFrame: string,
  goodFrame: string,
  goodMessage: string,
): Promise<{ code: number; reason: string }> {
  const bad = await connect(w.url);
  const good = await connect(w.url);
  const badClosed = closed(bad);
  bad.send(badFrame);
  const close = await badClosed;
  await sendFrame(good, goodFrame);
  const [m] = await w.waitFor(1);
  expect(m!.get('MESSAGE')).toBe(goodMessage);
  expect(w.messages).toHaveLength(1);
  good.close();
  return close;
}

describe('WebSocketSource bad input', () => {
  it('cuts off a client that trickles its upgrade headers (headersTimeout); others are served', async () => {
    h = await startWs({ headersTimeout: 400 });
    const port = h.ws.port;
    const slow = netConnect(port, '127.0.0.1');
    const ended = new Promise<number>((resolve) => slow.on('close', () => resolve(Date.now())));
    slow.on('error', () => undefined);
    const began = Date.now();
    slow.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    // One header byte every 50 ms: without the timeout this would go on until the test ends.
    const trickle = setInterval(() => slow.writable && slow.write('X'), 50);
    try {
      const c = await connect(h.url);
      await sendFrame(c, 'still served');
      expect((await h.waitFor(1))[0]!.get('MESSAGE')).toBe('still served');
      c.close();
      const closedAt = await ended;
      expect(closedAt - began).toBeLessThan(5_000);
    } finally {
      clearInterval(trickle);
      slow.destroy();
    }
  });

  it('oversize frames close with 1009; other clients are unaffected', async () => {
    h = await startWs({ maxPayload: 1024 });
    const { code } = await badBesideGood(h, 'x'.repeat(2048), 'still fine', 'still fine');
    expect(code).toBe(1009);
  });

  it('malformed JSON closes with 1007 naming the line; nothing of the frame is posted', async () => {
    h = await startWs({ format: 'ndjson' });
    const { code, reason } = await badBesideGood(
      h,
      '{"message":"ok"}\n{"message": nope}',
      '{"message":"good"}',
      'good',
    );
    expect(code).toBe(1007);
    expect(reason).toMatch(/^frame 1: line 2: malformed JSON/);
  });

  it('binary frames are refused with 1003 and a reason, unless acceptBinary', async () => {
    h = await startWs({ format: 'json' });
    const bad = await connect(h.url);
    const badClosed = closed(bad);
    bad.send(Buffer.from('{"message":"bin"}'), { binary: true });
    const { code, reason } = await badClosed;
    expect(code).toBe(1003);
    expect(reason).toContain('binary frames are not accepted');
    await h.stop();
    h = await startWs({ format: 'text', acceptBinary: true });
    const c = await connect(h.url);
    await sendFrame(c, Buffer.from([0, 1, 2, 255]), true);
    const [m] = await h.waitFor(1);
    expect(m!.get('MESSAGE')).toEqual(new Uint8Array([0, 1, 2, 255]));
    c.close();
  });

  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    h = await startWs({ format: 'text' });
    const c = await connect(h.url);
    const done = closed(c);
    // ws validates UTF-8 on the server; send raw bytes flagged as text.
    c.send(Buffer.from([0xc3, 0x28]), { binary: false });
    expect((await done).code).toBe(1007);
    expect(h.messages).toHaveLength(0);
  });

  it('plain HTTP requests get 426, upgrades on another path 404', async () => {
    h = await startWs({ path: '/ingest' });
    const res = await fetch(h.url.replace('ws:', 'http:'));
    expect(res.status).toBe(426);
    expect(await refusedStatus(h.url.replace('/ingest', '/other'))).toBe(404);
    const c = await connect(h.url);
    await sendFrame(c, 'on path');
    await h.waitFor(1);
    c.close();
  });

  it('maxConnections: further upgrades get 503 until one closes', async () => {
    h = await startWs({ maxConnections: 2 });
    const a = await connect(h.url);
    const b = await connect(h.url);
    expect(await refusedStatus(h.url)).toBe(503);
    a.close();
    await closed(a);
    await expect.poll(() => h!.ws.connectionCount).toBe(1);
    const c = await connect(h.url);
    b.close();
    c.close();
  });
});

describe('WebSocketSource lifecycle', () => {
  it('options are validated with every problem named', async () => {
    const src = new WebSocketSource();
    expect(() =>
      src.init({
        format: 'xml' as 'text',
        maxPayload: -1,
        pingInterval: 'x' as unknown as number,
        bogus: 1,
      } as never),
    ).toThrow(
      /options\.port is required[\s\S]*options\.format must be one of[\s\S]*options\.maxPayload must be an integer ≥ 1, got -1[\s\S]*options\.pingInterval/,
    );
    expect(() => src.init({ port: 0, bogus: 1 } as never)).toThrow(/unknown option "bogus"/);
    expect(() => src.init({ port: 0, auth: { bearer: [] } })).toThrow(
      /options\.auth\.bearer must list at least one token/,
    );
  });

  it('requestExit closes connections with 1001 after posting what was read; run() resolves and the port is freed', async () => {
    h = await startWs({ format: 'lines' });
    const port = h.ws.port;
    const a = await connect(h.url);
    const b = await connect(h.url);
    await sendFrame(a, 'a1\na2');
    await sendFrame(b, 'b1');
    await expect.poll(() => h!.stats().find((s) => s.kind === 'source')!.received).toBe(3);
    const closes = Promise.all([closed(a), closed(b)]);
    await h.stop();
    expect((await closes).map((c) => c.code)).toEqual([1001, 1001]);
    expect(h.messages.map((m) => m.get('MESSAGE')).sort()).toEqual(['a1', 'a2', 'b1']);
    // The port is free again: a new server can bind it.
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => s.close(resolve));
  });

  it('attaches to an existing http.Server and shares its port with plain HTTP', async () => {
    const server = createServer((_req, res) => res.end('plain http'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    h = await startWs({ server, path: '/ws' });
    expect(h.ws.port).toBe(port);
    const c = await connect(`ws://127.0.0.1:${port}/ws`);
    await sendFrame(c, 'shared');
    const [m] = await h.waitFor(1);
    expect(m!.get('MESSAGE')).toBe('shared');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain http');
    const done = closed(c);
    await h.stop();
    h = undefined;
    expect((await done).code).toBe(1001);
    // The attached server keeps running; only the WebSocket side is gone.
    expect(server.listening).toBe(true);
    expect(server.listenerCount('upgrade')).toBe(0);
    await new Promise((resolve) => server.close(resolve));
  });
  it('server may be a function, awaited in run(): for a server another component creates', async () => {
    const server = createServer();
    let ready!: () => void;
    const listening = new Promise<void>((r) => (ready = r));
    h = await startWsNoWait({
      server: async () => {
        await listening;
        return server;
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ready();
    const port = await h.ws.whenListening();
    expect(port).toBe((server.address() as AddressInfo).port);
    const c = await connect(`ws://127.0.0.1:${port}/`);
    await sendFrame(c, 'late server');
    await h.waitFor(1);
    c.close();
    await h.stop();
    h = undefined;
    await new Promise((resolve) => server.close(resolve));
  });

  it('on a shared server, upgrades to other paths are left to the other upgrade handlers', async () => {
    const server = createServer();
    const other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other')
        other.handleUpgrade(req, socket, head, (ws) => ws.send('other handler'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    h = await startWs({ server, path: '/logs' });
    // The other handler greets at once: listen before the open event.
    const o = new WebSocket(`ws://127.0.0.1:${port}/other`);
    expect(String(await new Promise((r) => o.once('message', r)))).toBe('other handler');
    const c = await connect(`ws://127.0.0.1:${port}/logs`);
    await sendFrame(c, 'mine');
    await h.waitFor(1);
    o.close();
    c.close();
    await h.stop();
    h = undefined;
    other.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
