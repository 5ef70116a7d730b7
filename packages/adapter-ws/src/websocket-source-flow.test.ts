import {
  LogDestination,
  Pipeline,
  defineConfig,
  type ComponentStats,
  type LogMessage,
} from '@logpath/core';
import { describe, it, expect, afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { closed, connect, sendFrame, startWs, type WsHarness } from './test-ws-helpers.js';
import type { WebSocketSourceOptions } from './internal/source-options.js';
import { WebSocketSource } from './websocket-source.js';

/** Holds every send() until the gate opens. */
class GateDestination extends LogDestination {
  static gate: Promise<void> = Promise.resolve();
  static received: string[] = [];
  override async send(msg: LogMessage): Promise<3> {
    await GateDestination.gate;
    GateDestination.received.push(msg.getAsString('MESSAGE')!);
    return this.SUCCESS;
  }
}

let h: WsHarness | undefined;
let pipeline: Pipeline | undefined;
afterEach(async () => {
  await h?.stop();
  await pipeline?.stop();
  h = undefined;
  pipeline = undefined;
});

/** Starts a WebSocketSource whose messages wait at a closed gate; `open()` lets them through. */
async function startGated(
  options: WebSocketSourceOptions,
  logIwSize: number,
): Promise<{ url: string; open: () => void; stats: () => ComponentStats }> {
  let open!: () => void;
  GateDestination.gate = new Promise((r) => (open = r));
  GateDestination.received = [];
  const p = new Pipeline(
    defineConfig({
      sources: { ws: { class: WebSocketSource, options, logIwSize } },
      destinations: { gate: { class: GateDestination } },
      logPaths: [{ sources: ['ws'], destinations: ['gate'] }],
      log: { stderr: false },
    }),
  );
  pipeline = p;
  await p.start();
  const port = await (p.component('ws') as WebSocketSource).whenListening();
  const stats = (): ComponentStats => p.stats().find((s) => s.kind === 'source')!;
  return { url: `ws://127.0.0.1:${port}/`, open, stats };
}

describe('WebSocketSource backpressure', () => {
  it('a suspended pipeline pauses socket reads (the client buffers) and resumes with nothing lost', async () => {
    const { url, open, stats } = await startGated(
      { port: 0, pingInterval: 20, pingTimeout: 20, maxPayload: 64 << 10 },
      20,
    );
    const c = await connect(url);
    const total = 2_000;
    const pad = 'x'.repeat(10_000);
    for (let i = 0; i < total; i++) c.send(`${i} ${pad}`);
    await expect.poll(() => stats().suspended, { timeout: 10_000 }).toBe(1);
    const heldAt = stats().received;
    expect(heldAt).toBeLessThan(100);
    // Several heartbeat rounds pass while paused: the server reads nothing more, the data
    // piles up in the client's buffer, and the paused client is not terminated.
    await new Promise((r) => setTimeout(r, 150));
    expect(stats().received).toBe(heldAt);
    expect(c.bufferedAmount).toBeGreaterThan(1 << 20);
    expect(c.readyState).toBe(WebSocket.OPEN);
    open();
    await expect.poll(() => GateDestination.received.length, { timeout: 20_000 }).toBe(total);
    expect(GateDestination.received.map((s) => Number(s.slice(0, s.indexOf(' '))))).toEqual(
      Array.from({ length: total }, (_, i) => i),
    );
    expect(stats().suspended).toBe(0);
    c.close();
  });

  it('a connection opened while suspended starts paused', async () => {
    const { url, open, stats } = await startGated({ port: 0 }, 2);
    const first = await connect(url);
    await sendFrame(first, 'a');
    await sendFrame(first, 'b');
    await expect.poll(() => stats().suspended).toBe(1);
    const late = await connect(url);
    await sendFrame(late, 'late');
    await new Promise((r) => setTimeout(r, 50));
    expect(stats().received).toBe(2);
    open();
    await expect.poll(() => GateDestination.received.length).toBe(3);
    first.close();
    late.close();
  });
});

describe('WebSocketSource heartbeat', () => {
  it('terminates a peer that does not answer pings; a live peer stays', async () => {
    h = await startWs({ pingInterval: 30, pingTimeout: 30 });
    const silent = await connect(h.url, { autoPong: false });
    const live = await connect(h.url);
    const silentClosed = closed(silent);
    expect((await silentClosed).code).toBe(1006); // terminated, no close frame
    expect(h.logs.some((l) => /no pong within 30 ms/.test(l.message))).toBe(true);
    // Several more rounds: the live peer is still there and still heard.
    await new Promise((r) => setTimeout(r, 150));
    expect(live.readyState).toBe(WebSocket.OPEN);
    await sendFrame(live, 'alive');
    await h.waitFor(1);
    expect(h.ws.connectionCount).toBe(1);
    live.close();
  });

  it('pingInterval 0 disables the heartbeat', async () => {
    h = await startWs({ pingInterval: 0 });
    let pings = 0;
    const c = await connect(h.url);
    c.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, 100));
    expect(pings).toBe(0);
    c.close();
  });
});
