/**
 * Slow-loris clients: request headers sent a byte at a time, a body that is
 * never finished, a body trickled forever, and a WebSocket upgrade request
 * trickled to a WebSocketSource sharing an HttpSource's port. The server's
 * timeouts (`headersTimeout`, `requestTimeout`, set short here) must cut each
 * of them off with a 408 JSON answer, post nothing from them, and keep
 * serving a normal client at the same time without losing a message.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defineConfig, Pipeline } from '@logpath/core';
import { HttpSource } from '@logpath/adapter-http';
import { WebSocketSource } from '@logpath/adapter-ws';
import { DeliveryCheck, httpSend, parseRawResponse } from './hostile-net-support.js';
import { StreamCounter, type Counts } from './hostile-http-server.js';
import { writeResult } from './results.js';

const HEADERS_TIMEOUT = 500;
const REQUEST_TIMEOUT = 1500;

interface Loris {
  /** Resolves when the server closed the connection: what it answered, and after how long. */
  readonly closed: Promise<{ text: string; ms: number; bytesSent: number }>;
}

/**
 * Sends `head` at once, then `trickle` one byte every `everyMs`, then
 * nothing (the request is never finished), until the server closes.
 */
function loris(port: number, head: string, trickle: string, everyMs: number): Loris {
  const socket: Socket = connect(port, '127.0.0.1');
  const t0 = performance.now();
  const chunks: Buffer[] = [];
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.once('connect', () => {
    socket.write(head);
    sent += head.length;
    timer = setInterval(() => {
      if (sent - head.length >= trickle.length || socket.destroyed) return;
      socket.write(trickle[sent - head.length]!);
      sent++;
    }, everyMs);
  });
  const closed = new Promise<{ text: string; ms: number; bytesSent: number }>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve({
        text: Buffer.concat(chunks).toString('utf8'),
        ms: performance.now() - t0,
        bytesSent: sent,
      });
    }),
  );
  return { closed };
}

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

async function start(withWs: boolean): Promise<{ port: number; counts: Counts }> {
  const counts: Counts = { fuzz: 0, good: new DeliveryCheck() };
  const p = new Pipeline(
    defineConfig({
      sources: {
        web: {
          class: HttpSource,
          options: {
            host: '127.0.0.1',
            port: 0,
            path: '/:stream',
            format: 'ndjson',
            headersTimeout: HEADERS_TIMEOUT,
            requestTimeout: REQUEST_TIMEOUT,
            keepAliveTimeout: 500,
          },
        },
        ...(withWs
          ? {
              live: {
                class: WebSocketSource,
                options: {
                  path: '/ws',
                  format: 'ndjson',
                  ack: 'batch',
                  server: async () => {
                    const web = p.component('web') as HttpSource;
                    await web.whenListening();
                    return web.server!;
                  },
                },
              },
            }
          : {}),
      } as never,
      destinations: { count: { class: StreamCounter, options: { counter: counts } } },
      logPaths: [{ sources: withWs ? ['web', 'live'] : ['web'], destinations: ['count'] }],
      log: { stderr: false },
    }),
  );
  pipeline = p;
  await p.start();
  return { port: await (p.component('web') as HttpSource).whenListening(), counts };
}

/** Posts `{"seq":n}` lines to /good one request at a time until `done` resolves; returns how many were sent. */
async function normalClient(
  port: number,
  check: DeliveryCheck,
  done: Promise<unknown>,
): Promise<number> {
  let over = false;
  void done.then(() => (over = true));
  let seq = 0;
  while (!over) {
    const a = await httpSend(port, {
      path: '/good',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `{"seq":${seq}}`,
    });
    expect(a.status, a.text).toBe(202);
    check.accepted.add(seq++);
    await new Promise((r) => setTimeout(r, 5));
  }
  return seq;
}

const POST = 'POST /fuzz HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n';

describe('slow-loris clients', () => {
  it('are cut off by headersTimeout and requestTimeout with 408 while a normal client keeps being served', async () => {
    const { port, counts } = await start(false);
    const slow = [
      // Headers a byte at a time: 100 ms per byte, never done within headersTimeout.
      ...Array.from({ length: 20 }, () =>
        loris(port, '', `${POST}Content-Length: 12\r\n\r\n{"seq":-1}\n`, 100),
      ),
      // Headers done, body never finished.
      ...Array.from({ length: 10 }, () =>
        loris(port, `${POST}Content-Length: 100\r\n\r\n{"se`, '', 100),
      ),
      // Body trickled a byte every 200 ms: each byte in time, the whole request not.
      ...Array.from({ length: 10 }, () =>
        loris(port, `${POST}Content-Length: 100\r\n\r\n`, `{"seq":-2}\n`.repeat(10), 200),
      ),
    ];
    const all = Promise.all(slow.map((s) => s.closed));
    const sent = await normalClient(port, counts.good, all);
    const results = await all;
    for (const [i, r] of results.entries()) {
      const what = `slow client ${i}: closed after ${Math.round(r.ms)} ms having sent ${r.bytesSent} bytes: ${r.text.slice(0, 120)}`;
      const { status, json } = parseRawResponse(r.text);
      expect(status, what).toBe(408);
      expect(json, what).toEqual({
        error: expect.stringMatching(/headersTimeout or requestTimeout/) as unknown,
      });
      // Cut off by the timeouts, far before the trickle would have finished (2 s to 22 s).
      expect(r.ms, what).toBeLessThan(REQUEST_TIMEOUT + 5_000);
    }
    expect(sent).toBeGreaterThan(0);
    await expect.poll(() => counts.good.delivered, { timeout: 10_000 }).toBe(sent);
    expect(counts.good.lost).toBe(0);
    expect(counts.good.duplicated).toBe(0);
    expect(counts.fuzz, 'a slow client posted something').toBe(0);
    await writeResult({
      scenario: 'security-slow-loris',
      load: `${slow.length} slow-loris connections beside a client posting ${sent} requests one at a time`,
      injected: `headers a byte per 100 ms, bodies never finished, bodies a byte per 200 ms (headersTimeout ${HEADERS_TIMEOUT} ms, requestTimeout ${REQUEST_TIMEOUT} ms)`,
      sent,
      delivered: counts.good.delivered,
      duplicated: counts.good.duplicated,
      lost: counts.good.lost,
      peakRssMiB: null,
      details: {
        slowClientsCutOffWith408: results.length,
        slowestCutOffMs: Math.round(Math.max(...results.map((r) => r.ms))),
        date: new Date().toISOString(),
      },
    });
  }, 60_000);

  it('a WebSocket upgrade trickled to a WebSocketSource on the HttpSource port is cut off; a normal WebSocket client is served', async () => {
    const { port, counts } = await start(true);
    const upgrade =
      'GET /ws?conn=slow HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const slow = Array.from({ length: 10 }, () => loris(port, '', upgrade, 100));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?stream=good`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const acks: unknown[] = [];
    ws.on('message', (d: Buffer) => acks.push(JSON.parse(d.toString())));
    const all = Promise.all(slow.map((s) => s.closed));
    let seq = 0;
    let over = false;
    void all.then(() => (over = true));
    while (!over) {
      ws.send(`{"seq":${seq}}`);
      counts.good.accepted.add(seq++);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const r of await all) {
      expect(parseRawResponse(r.text).status, r.text.slice(0, 120)).toBe(408);
      expect(r.ms).toBeLessThan(HEADERS_TIMEOUT + 5_000);
    }
    await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(seq);
    expect(acks.every((a) => typeof a === 'object' && a !== null && 'ack' in a)).toBe(true);
    ws.close();
  }, 60_000);
});
