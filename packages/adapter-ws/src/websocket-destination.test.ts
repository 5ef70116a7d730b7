import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogMessage, Pipeline, defineConfig, type InternalLogRecord } from '@logpath/core';
import { ArraySource, runDestination } from '@logpath/core/testing';
import { describe, it, expect, afterEach } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { startWs, type WsHarness } from './test-ws-helpers.js';
import { WebSocketDestination } from './websocket-destination.js';

interface Bare {
  url: string;
  port: number;
  frames: string[];
  connections: number;
  close(): Promise<void>;
}

/** A bare ws server; `onFrame` decides what to answer (frame numbers are per connection, 1-based). */
async function bare(
  onFrame: (ws: WebSocket, frame: number, data: string, conn: number) => void = () => {},
  port = 0,
): Promise<Bare> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const b: Bare = {
    port: (wss.address() as AddressInfo).port,
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    frames: [],
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    const conn = ++b.connections;
    let n = 0;
    ws.on('message', (d: Buffer) => {
      b.frames.push(d.toString());
      onFrame(ws, ++n, d.toString(), conn);
    });
  });
  return b;
}

let server: Bare | undefined;
let h: WsHarness | undefined;
afterEach(async () => {
  await server?.close();
  await h?.stop();
  server = undefined;
  h = undefined;
});

const quick = { timeReopen: 20 };

describe('WebSocketDestination', () => {
  it('frame "message": one JSON frame per message; a WebSocketSource gets the fields back', async () => {
    h = await startWs({ format: 'json' });
    const msg = new LogMessage('hello').set('user', 'ann').set('n', 7);
    const run = await runDestination(WebSocketDestination, {
      options: { url: h.url },
      messages: [msg, 'second'],
    });
    expect(run.acks).toEqual(['delivered', 'delivered']);
    const got = await h.waitFor(2);
    expect(got[0]!.get('MESSAGE')).toBe('hello');
    expect(got[0]!.get('user')).toBe('ann');
    expect(got[0]!.get('n')).toBe(7);
    expect(got[1]!.get('MESSAGE')).toBe('second');
  });

  it('frame "batch": each batch is one NDJSON frame; template formats each line; maxFrameBytes splits', async () => {
    server = await bare();
    const messages = Array.from({ length: 25 }, (_, i) => `line ${i}`);
    await runDestination(WebSocketDestination, {
      options: { url: server.url, frame: 'batch', template: '${MESSAGE}' },
      messages,
      batchLines: 10,
    });
    // SUCCESS means written to the socket; the server reads it a moment later.
    await expect.poll(() => server!.frames.flatMap((f) => f.split('\n'))).toEqual(messages);
    expect(server.frames.length).toBeLessThanOrEqual(5);
    expect(server.frames[0]!.split('\n').length).toBeGreaterThan(1);
    await server.close();
    server = await bare();
    await runDestination(WebSocketDestination, {
      options: { url: server.url, frame: 'batch', template: '${MESSAGE}', maxFrameBytes: 20 },
      messages: ['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc', 'd'.repeat(50)],
      batchLines: 10,
    });
    // Two 9-byte lines fit in 20 bytes (with the newline), the third starts a frame, the long one goes alone.
    await expect
      .poll(() => server!.frames.flatMap((f) => f.split('\n')))
      .toEqual(['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc', 'd'.repeat(50)]);
    expect(server.frames).toEqual(['aaaaaaaaa\nbbbbbbbbb', 'ccccccccc', 'd'.repeat(50)]);
  });

  it('sends credentials on the upgrade', async () => {
    h = await startWs({ format: 'text', auth: { bearer: ['tok'] } });
    const run = await runDestination(WebSocketDestination, {
      options: { url: h.url, auth: { bearer: 'tok' }, template: '${MESSAGE}' },
      messages: ['in'],
    });
    expect(run.acks).toEqual(['delivered']);
    expect((await h.waitFor(1))[0]!.get('MESSAGE')).toBe('in');
  });

  it('NOT_CONNECTED while the server is down, with backoff between attempts; delivers once it is up', async () => {
    // Find a free port, then leave it closed for a while.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    let attempts = 0;
    const refuser = createServer();
    refuser.on('upgrade', (_req, socket) => {
      attempts++;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => refuser.listen(port, '127.0.0.1', resolve));
    const started = Date.now();
    const running = runDestination(WebSocketDestination, {
      options: {
        url: `ws://127.0.0.1:${port}/`,
        reconnectDelay: 40,
        reconnectMaxDelay: 160,
        template: '${MESSAGE}',
      },
      messages: ['a', 'b', 'c'],
      ...quick,
      timeout: 15_000,
    });
    await expect
      .poll(() => Date.now() - started, { timeout: 5000, interval: 50 })
      .toBeGreaterThan(1200);
    // timeReopen alone would have retried ~60 times; the backoff (40 → 160 ms, jittered) allows far fewer.
    expect(attempts).toBeGreaterThanOrEqual(4);
    expect(attempts).toBeLessThan(25);
    await new Promise((resolve) => refuser.close(resolve));
    refuser.closeAllConnections();
    server = await bare(() => {}, port);
    const run = await running;
    expect(run.acks).toEqual(['delivered', 'delivered', 'delivered']);
    await expect.poll(() => server!.frames).toEqual(['a', 'b', 'c']);
    expect(run.logs.some((l) => /cannot connect to .*HTTP 503/.test(l.message))).toBe(true);
  });

  it('ack: SUCCESS only once the server acknowledged every frame; a late ack reconnects and resends', async () => {
    // First connection: never answers. Later connections: acknowledge each frame.
    server = await bare((ws, frame, _data, conn) => {
      if (conn > 1) ws.send(JSON.stringify({ ack: null, frame }));
    });
    const run = await runDestination(WebSocketDestination, {
      options: {
        url: server.url,
        ack: true,
        ackTimeout: 150,
        frame: 'batch',
        template: '${MESSAGE}',
        reconnectDelay: 10,
      },
      messages: ['x', 'y', 'z'],
      ...quick,
    });
    expect(run.acks).toEqual(['delivered', 'delivered', 'delivered']);
    expect(server.connections).toBeGreaterThanOrEqual(2);
    expect(run.logs.some((l) => /no acknowledgement within 150 ms/.test(l.message))).toBe(true);
  });

  it('ack: a final nack drops the batch (to the fallback); a retryable one resends it', async () => {
    let nacked = 0;
    server = await bare((ws, frame, data) => {
      if (data === 'poison')
        ws.send(JSON.stringify({ nack: null, frame, reason: 'malformed', retry: false }));
      else if (data === 'flaky' && nacked++ === 0)
        ws.send(JSON.stringify({ nack: null, frame, reason: 'stopping', retry: true }));
      else ws.send(JSON.stringify({ ack: null, frame }));
    });
    const run = await runDestination(WebSocketDestination, {
      options: { url: server.url, ack: true, template: '${MESSAGE}' },
      messages: ['ok', 'poison', 'flaky'],
      batchLines: 1,
      retries: 3,
      ...quick,
    });
    expect(run.acks).toEqual(['delivered', 'dropped', 'delivered']);
    expect(server.frames.filter((f) => f === 'flaky')).toHaveLength(2);
  });

  it('a connection dropped while waiting for acks is NOT_CONNECTED: reconnect and resend, nothing lost', async () => {
    server = await bare((ws, frame, _data, conn) => {
      if (conn === 1) ws.terminate();
      else ws.send(JSON.stringify({ ack: null, frame }));
    });
    const run = await runDestination(WebSocketDestination, {
      options: { url: server.url, ack: true, template: '${MESSAGE}', reconnectDelay: 10 },
      messages: ['1', '2', '3', '4'],
      ...quick,
    });
    expect(run.acks).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(new Set(server.frames)).toEqual(new Set(['1', '2', '3', '4']));
  });

  it('a frame the server refuses as too large (1009) is dropped, not resent forever', async () => {
    h = await startWs({ format: 'text', maxPayload: 100 });
    const run = await runDestination(WebSocketDestination, {
      options: { url: h.url, template: '${MESSAGE}', ack: true },
      messages: ['x'.repeat(500)],
      ...quick,
    });
    expect(run.acks).toEqual(['dropped']);
    expect(run.logs.some((l) => /refused a batch of 1 .*1009/.test(l.message))).toBe(true);
  });

  it('a server that acks by id gets a warning naming the fix', async () => {
    server = await bare((ws) => ws.send(JSON.stringify({ ack: 1 })));
    const logs: InternalLogRecord[] = [];
    const p = new Pipeline(
      defineConfig({
        sources: { input: { class: ArraySource, options: { messages: ['m'] } } },
        destinations: {
          out: {
            class: WebSocketDestination,
            options: { url: server.url, ack: true, ackTimeout: 100 },
            ...quick,
          },
        },
        logPaths: [{ sources: ['input'], destinations: ['out'] }],
        log: { stderr: false },
        stopTimeout: 200,
      }),
      { logSink: (r) => logs.push(r) },
    );
    await p.start();
    await expect
      .poll(() =>
        logs.some((l) =>
          /acknowledges messages by id.*set the WebSocketSource option ack to "batch"/.test(
            l.message,
          ),
        ),
      )
      .toBe(true);
    await expect
      .poll(() => logs.some((l) => /no acknowledgement within 100 ms/.test(l.message)))
      .toBe(true);
    await p.stop();
  });

  it('options are validated', () => {
    const d = new WebSocketDestination();
    expect(() => d.init({} as never)).toThrow(/options\.url is required/);
    expect(() => d.init({ url: 'http://x' })).toThrow(/ws:\/\/ or wss:\/\/ URL/);
    expect(() =>
      d.init({
        url: 'ws://x',
        frame: 'lines' as 'batch',
        reconnectDelay: 10,
        reconnectMaxDelay: 5,
      }),
    ).toThrow(/options\.frame must be one of[\s\S]*reconnectMaxDelay must be ≥/);
  });
});
