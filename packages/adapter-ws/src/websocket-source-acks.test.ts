import { LogDestination, Pipeline, defineConfig, type LogMessage } from '@logpath/core';
import { describe, it, expect, afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { closed, connect, replies, sendFrame } from './test-ws-helpers.js';
import { WebSocketSource, type WebSocketSourceOptions } from './websocket-source.js';

/** Delivers, except messages whose MESSAGE starts with "drop" (DROP); can be held shut. */
class ScriptedDestination extends LogDestination {
  static gate: Promise<void> = Promise.resolve();
  static delivered: LogMessage[] = [];
  override async send(msg: LogMessage): Promise<0 | 3> {
    await ScriptedDestination.gate;
    if (msg.getAsString('MESSAGE')?.startsWith('drop')) return this.DROP;
    ScriptedDestination.delivered.push(msg);
    return this.SUCCESS;
  }
}

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  ScriptedDestination.gate = Promise.resolve();
});

async function start(
  options: WebSocketSourceOptions,
  logIwSize = 1000,
): Promise<{ url: string; src: WebSocketSource }> {
  ScriptedDestination.delivered = [];
  pipeline = new Pipeline(
    defineConfig({
      sources: { ws: { class: WebSocketSource, options: { port: 0, ...options }, logIwSize } },
      destinations: { out: { class: ScriptedDestination, retries: 1 } },
      logPaths: [{ sources: ['ws'], destinations: ['out'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const src = pipeline.component('ws') as WebSocketSource;
  return { url: `ws://127.0.0.1:${await src.whenListening()}/`, src };
}

const ndjson = (...objs: object[]): string => objs.map((o) => JSON.stringify(o)).join('\n');

describe('WebSocketSource acknowledgements', () => {
  it('message mode: {"ack": id} per delivered message, {"nack": id, reason} per dropped one', async () => {
    const { url } = await start({ format: 'ndjson', ack: 'message' });
    const c = await connect(url);
    const r = replies(c);
    await sendFrame(
      c,
      ndjson({ id: 1, message: 'a' }, { id: 'two', message: 'drop me' }, { id: 3, message: 'c' }),
    );
    const got = await r.waitFor(3);
    expect(got).toContainEqual({ ack: 1 });
    expect(got).toContainEqual({ ack: 3 });
    expect(got).toContainEqual({
      nack: 'two',
      reason: expect.stringMatching(/dropped/) as unknown,
      retry: false,
    });
    // Ids stay in the data.
    expect(ScriptedDestination.delivered.map((m) => m.get('id'))).toEqual([1, 3]);
    c.close();
  });

  it('message mode with a custom idField; messages without an id are not answered', async () => {
    const { url } = await start({ format: 'json', ack: 'message', idField: 'seq' });
    const c = await connect(url);
    const r = replies(c);
    await sendFrame(
      c,
      JSON.stringify([{ seq: 10, message: 'x' }, { message: 'no id' }, { seq: 11, message: 'y' }]),
    );
    await r.waitFor(2);
    await sendFrame(c, JSON.stringify({ seq: 12, message: 'z' }));
    expect(await r.waitFor(3)).toEqual([{ ack: 10 }, { ack: 11 }, { ack: 12 }]);
    expect(ScriptedDestination.delivered).toHaveLength(4);
    c.close();
  });

  it('message mode: a frame without any id, and text formats, are answered per frame', async () => {
    const { url } = await start({ format: 'lines', ack: 'message' });
    const c = await connect(url);
    const r = replies(c);
    await sendFrame(c, 'l1\nl2');
    await sendFrame(c, 'drop this\nkeep');
    expect(await r.waitFor(2)).toEqual([
      { ack: null, frame: 1 },
      { nack: null, frame: 2, reason: expect.stringMatching(/dropped/) as unknown, retry: false },
    ]);
    c.close();
  });

  it('batch mode: one reply per frame, in frame order, with the last id of the frame', async () => {
    const { url } = await start({ format: 'ndjson', ack: 'batch' });
    const c = await connect(url);
    const r = replies(c);
    await sendFrame(c, ndjson({ id: 1, message: 'a' }, { id: 2, message: 'b' }));
    await sendFrame(c, ndjson({ id: 3, message: 'drop' }, { id: 4, message: 'd' }));
    await sendFrame(c, ndjson({ message: 'no ids' }));
    await sendFrame(c, '');
    expect(await r.waitFor(4)).toEqual([
      { ack: 2, frame: 1 },
      { nack: 4, frame: 2, reason: expect.stringMatching(/dropped/) as unknown, retry: false },
      { ack: null, frame: 3 },
      { ack: null, frame: 4 },
    ]);
    c.close();
  });

  it('malformed JSON and binary frames get a nack naming the problem; the connection stays open', async () => {
    const { url } = await start({ format: 'ndjson', ack: 'batch' });
    const c = await connect(url);
    const r = replies(c);
    await sendFrame(c, '{"id":1,"message":"ok"}\n{"id":2,');
    await sendFrame(c, Buffer.from('{"id":3}'), true);
    await sendFrame(c, '{"id":4,"message":"fine"}');
    const got = await r.waitFor(3);
    expect(got[0]).toEqual({
      nack: null,
      frame: 1,
      reason: expect.stringMatching(/^frame 1: line 2: malformed JSON/) as unknown,
      retry: false,
    });
    expect(got[1]).toEqual({
      nack: null,
      frame: 2,
      reason: expect.stringMatching(/binary frames are not accepted/) as unknown,
      retry: false,
    });
    expect(got[2]).toEqual({ ack: 4, frame: 3 });
    expect(c.readyState).toBe(WebSocket.OPEN);
    // Nothing of the malformed frame was posted.
    expect(ScriptedDestination.delivered.map((m) => m.get('id'))).toEqual([4]);
    c.close();
  });

  it('exit: pending acknowledgements are sent before the 1001 close', async () => {
    let open!: () => void;
    ScriptedDestination.gate = new Promise((resolve) => (open = resolve));
    const { url } = await start({ format: 'ndjson', ack: 'message' });
    const c = await connect(url);
    const r = replies(c);
    const done = closed(c);
    await sendFrame(c, ndjson({ id: 1, message: 'a' }, { id: 2, message: 'b' }));
    await expect.poll(() => pipeline!.stats().find((s) => s.kind === 'source')!.received).toBe(2);
    const stopping = pipeline!.stop();
    open();
    await stopping;
    expect((await done).code).toBe(1001);
    expect(r.list).toEqual([{ ack: 1 }, { ack: 2 }]);
  });

  it('a client that resends what was not acknowledged after its connection died loses nothing', async () => {
    let open!: () => void;
    ScriptedDestination.gate = new Promise((resolve) => (open = resolve));
    const { url } = await start({ format: 'ndjson', ack: 'message' }, 50);
    const total = 300;
    const unacked = new Map<number, string>();
    const track = (ws: WebSocket): void => {
      ws.on('message', (d: Buffer) => {
        const reply = JSON.parse(d.toString()) as { ack?: number };
        if (typeof reply.ack === 'number') unacked.delete(reply.ack);
      });
    };
    const first = await connect(url);
    track(first);
    for (let i = 0; i < total; i += 10) {
      const lines: string[] = [];
      for (let j = i; j < i + 10; j++) {
        const line = JSON.stringify({ id: j, message: `m${j}` });
        unacked.set(j, line);
        lines.push(line);
      }
      first.send(lines.join('\n'));
    }
    // The pipeline is held, so most are not acked; the connection dies abruptly.
    await expect.poll(() => pipeline!.stats().find((s) => s.kind === 'source')!.suspended).toBe(1);
    const died = closed(first);
    first.terminate();
    await died;
    open();
    const second = await connect(url);
    track(second);
    second.send([...unacked.values()].join('\n'));
    await expect.poll(() => unacked.size, { timeout: 10_000 }).toBe(0);
    const ids = new Set(ScriptedDestination.delivered.map((m) => m.get('id')));
    expect(ids.size).toBe(total);
    second.close();
  });
});
