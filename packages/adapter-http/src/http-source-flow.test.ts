import {
  LogDestination,
  Pipeline,
  defineConfig,
  type DestinationClass,
  type DestinationDriverOptions,
  type InternalLogRecord,
  type LogMessage,
  type SendResult,
} from '@logpath/core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, it, expect, vi } from 'vitest';
import { HttpSource } from './http-source.js';
import type { HttpSourceOptions } from './http-source-options.js';
import { post, send } from './test-http.js';

/** Holds every message until `release()` is called. */
class GateDestination extends LogDestination {
  readonly received: LogMessage[] = [];
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  release(): void {
    this.#open();
  }
  override async send(msg: LogMessage): Promise<SendResult> {
    await this.#gate;
    this.received.push(msg);
    return this.SUCCESS;
  }
}

/** Fails the first `failures` sends with ERROR, then delivers; drops messages whose MESSAGE is "poison". */
class FlakyDestination extends LogDestination<{ failures?: number }> {
  readonly received: LogMessage[] = [];
  calls = 0;
  #failures = 0;
  override init(o: { failures?: number }): void {
    this.#failures = o.failures ?? 0;
  }
  override send(msg: LogMessage): SendResult {
    if (++this.calls <= this.#failures) return this.ERROR;
    if (msg.get('MESSAGE') === 'poison') return this.DROP;
    this.received.push(msg);
    return this.SUCCESS;
  }
}

let running: Pipeline | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start<D extends LogDestination>(
  source: HttpSourceOptions & { logIwSize?: number },
  dest: DestinationClass,
  destOptions: Record<string, unknown> & DestinationDriverOptions = {},
): Promise<{
  base: string;
  dest: D;
  src: HttpSource;
  pipeline: Pipeline;
  logs: InternalLogRecord[];
}> {
  const { logIwSize, ...options } = source;
  const { retries, timeReopen, ...rest } = destOptions;
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        http: {
          class: HttpSource,
          options: { host: '127.0.0.1', port: 0, ...options },
          ...(logIwSize ? { logIwSize } : {}),
        },
      },
      destinations: {
        out: { class: dest, options: rest, retries: retries ?? 3, timeReopen: timeReopen ?? 10 },
      },
      logPaths: [{ sources: ['http'], destinations: ['out'] }],
      stopTimeout: 2000,
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  running = pipeline;
  await pipeline.start();
  const src = pipeline.component('http') as HttpSource;
  const port = await src.whenListening();
  return {
    base: `http://127.0.0.1:${port}`,
    dest: pipeline.component('out') as D,
    src,
    pipeline,
    logs,
  };
}

/** 50 keep-alive connections post 20 bodies of 100 lines each; prints the count of each status. */
const LOAD_CLIENT = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
const body = Array.from({ length: 100 }, (_, i) => 'line ' + i).join('\\n');
const counts = {};
const one = () => new Promise((resolve, reject) => {
  const req = http.request(process.argv[1], { method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
    counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
    res.resume().on('end', resolve);
  });
  req.on('error', reject).end(body);
});
Promise.all(Array.from({ length: 50 }, async () => { for (let i = 0; i < 20; i++) await one(); }))
  .then(() => { agent.destroy(); process.stdout.write(JSON.stringify(counts)); });
`;

const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `line ${from + i}`).join('\n');

describe('HttpSource backpressure', () => {
  it('answers 429 with Retry-After while suspended, then recovers with nothing lost', async () => {
    const { base, dest } = await start<GateDestination>(
      { logIwSize: 10, retryAfter: 2500 },
      GateDestination,
    );
    const first = await post(`${base}/`, lines(0, 10), 'text/plain');
    expect(first.status).toBe(202); // the window is soft: a request is always posted whole

    const refused = await post(`${base}/`, lines(10, 5), 'text/plain');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(refused.json).toMatchObject({ retryAfter: 3 });
    expect(refused.json.error).toMatch(/busy/);
    const health = await send(`${base}/health`);
    expect([health.status, health.json]).toEqual([503, { status: 'suspended' }]);

    dest.release();
    await vi.waitFor(async () => expect((await send(`${base}/health`)).status).toBe(200));
    const retried = await post(`${base}/`, lines(10, 5), 'text/plain');
    expect(retried.status).toBe(202);
    await vi.waitFor(() => expect(dest.received).toHaveLength(15));
    expect(dest.received.map((m) => m.get('MESSAGE'))).toEqual(lines(0, 15).split('\n'));
  });

  it('answers 503 instead when busyStatus is 503', async () => {
    const { base, dest } = await start<GateDestination>(
      { logIwSize: 2, busyStatus: 503 },
      GateDestination,
    );
    expect((await post(`${base}/`, 'a\nb', 'text/plain')).status).toBe(202);
    const refused = await post(`${base}/`, 'c', 'text/plain');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    dest.release();
  });

  it('refuses nothing from a burst larger than the window while the destination keeps up', async () => {
    // The default window (1000 messages) against 50 keep-alive clients posting 100-line bodies,
    // from another process so that they keep the server busy: a loop turn then reads more bodies
    // than the window holds, and delivery must free it before the turn's next request.
    const { base, dest } = await start<FlakyDestination>({}, FlakyDestination);
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', LOAD_CLIENT, base]);
    expect(JSON.parse(stdout)).toEqual({ 202: 1000 });
    await vi.waitFor(() => expect(dest.received).toHaveLength(100_000));
  });
});

describe("HttpSource respond: 'delivered'", () => {
  it('answers 200 only once a failing-then-recovering destination has delivered everything', async () => {
    const { base, dest, pipeline } = await start<FlakyDestination>(
      { respond: 'delivered' },
      FlakyDestination,
      { failures: 3, retries: 10, timeReopen: 20 },
    );
    const r = await post(`${base}/`, lines(0, 5), 'text/plain');
    expect([r.status, r.json]).toEqual([200, { delivered: 5 }]);
    expect(dest.received.map((m) => m.get('MESSAGE'))).toEqual(lines(0, 5).split('\n'));
    expect(pipeline.stats().find((s) => s.name === 'out')!.retried).toBe(3);
  });

  it('answers 500 naming the counts when a destination dropped a message', async () => {
    const { base } = await start({ respond: 'delivered' }, FlakyDestination);
    const r = await post(`${base}/`, 'good\npoison\nfine', 'text/plain');
    expect(r.status).toBe(500);
    expect(r.json).toEqual({
      error: '1 of 3 messages were dropped by a destination',
      delivered: 2,
      dropped: 1,
      aborted: 0,
      pending: 0,
    });
  });

  it('answers 504 after deliveryTimeout', async () => {
    const { base, dest } = await start<GateDestination>(
      { respond: 'delivered', deliveryTimeout: 100 },
      GateDestination,
    );
    const r = await post(`${base}/`, 'a\nb', 'text/plain');
    expect(r.status).toBe(504);
    expect(r.json).toMatchObject({ delivered: 0, pending: 2 });
    expect(r.json.error).toMatch(/deliveryTimeout \(100 ms\)/);
    dest.release();
  });

  it('answers 503 to waiting requests when shutdown cannot wait for them', async () => {
    const { base, pipeline, dest } = await start<GateDestination>(
      { respond: 'delivered', shutdownTimeout: 50 },
      GateDestination,
    );
    const answer = post(`${base}/`, 'stuck', 'text/plain');
    await vi.waitFor(() =>
      expect(pipeline.stats().find((s) => s.name === 'out')!.received).toBe(1),
    );
    const stopping = pipeline.stop();
    const r = await answer;
    expect(r.status).toBe(503);
    expect(r.headers.connection).toBe('close');
    expect(r.json).toMatchObject({ delivered: 0, pending: 1 });
    dest.release();
    await stopping;
  });
});
