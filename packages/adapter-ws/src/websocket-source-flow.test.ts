import { LogDestination, Pipeline, defineConfig, type LogMessage } from '@logpath/core';
import { describe, it, expect, afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { closed, connect, sendFrame, startWs, type WsHarness } from './test-ws-helpers.js';
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

describe('WebSocketSource backpressure', () => {
  it('a suspended pipeline pauses socket reads (the client buffers) and resumes with nothing lost', async () => {
    let open!: () => void;
    GateDestination.gate = new Promise((r) => (open = r));
    GateDestination.received = [];
    pipeline = new Pipeline(
      defineConfig({
        sources: {
          ws: {
            class: WebSocketSource,
            options: { port: 0, pingInterval: 20, pingTimeout: 20, maxPayload: 64 << 10 },
            logIwSize: 20,
          },
        },
        destinations: { gate: { class: GateDestination } },
        logPaths: [{ sources: ['ws'], destinations: ['gate'] }],
        log: { stderr: false },
      }),
    );
    await pipeline.start();
    const src = pipeline.component('ws') as WebSocketSource;
    const port = await src.whenListening();
    const c = await connect(`ws://127.0.0.1:${port}/`);
    const total = 2_000;
    const pad = 'x'.repeat(10_000);
    for (let i = 0; i < total; i++) c.send(`${i} ${pad}`);
    const stats = (): { received: number; suspended: number } =>
      pipeline!.stats().find((s) => s.kind === 'source')!;
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
    let open!: () => void;
    GateDestination.gate = new Promise((r) => (open = r));
    GateDestination.received = [];
    pipeline = new Pipeline(
      defineConfig({
        sources: { ws: { class: WebSocketSource, options: { port: 0 }, logIwSize: 2 } },
        destinations: { gate: { class: GateDestination } },
        logPaths: [{ sources: ['ws'], destinations: ['gate'] }],
        log: { stderr: false },
      }),
    );
    await pipeline.start();
    const url = `ws://127.0.0.1:${await (pipeline.component('ws') as WebSocketSource).whenListening()}/`;
    const first = await connect(url);
    await sendFrame(first, 'a');
    await sendFrame(first, 'b');
    const src = (): { received: number; suspended: number } =>
      pipeline!.stats().find((s) => s.kind === 'source')!;
    await expect.poll(() => src().suspended).toBe(1);
    const late = await connect(url);
    await sendFrame(late, 'late');
    await new Promise((r) => setTimeout(r, 50));
    expect(src().received).toBe(2);
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
