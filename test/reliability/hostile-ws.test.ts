/**
 * Hostile WebSocket frames: random text and binary frames in every format,
 * malformed JSON and NDJSON, invalid UTF-8 (in binary frames, and raw bytes
 * sent as a text frame), oversize frames — with acknowledgements on and off.
 *
 * With acks, every frame gets exactly one reply, in order: an ack when it
 * parsed (and exactly its messages were posted), a nack naming the problem
 * when it did not (and nothing was posted). Without acks, the first bad frame
 * closes the connection with its code (1003 binary, 1007 malformed, 1009
 * oversize) after the good frames before it were posted. A well-behaved
 * client on the same server all the while gets every frame acked and
 * delivered once. Figures go to `results/hostile-ws.json`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { defineConfig, LogDestination, Pipeline, type LogMessage } from '@logpath/core';
import { WebSocketSource, type WebSocketSourceOptions } from '@logpath/adapter-ws';
import { fuzzParams } from './fuzz-support.js';
import { DeliveryCheck, RssSampler, mib } from './hostile-net-support.js';
import { writeResult } from './results.js';
import { hostileString, rfc3164Line, rfc5424Line } from './syslog-lines.js';

const FORMATS = ['text', 'lines', 'json', 'ndjson', 'syslog'] as const;
type Format = (typeof FORMATS)[number];
const MAX_PAYLOAD = 64 * 1024;

/** Counts arrivals per `?conn=` of the upgrade URL; the good client's `seq` go to a DeliveryCheck. */
class ConnCounter extends LogDestination<{ counts: Map<string, number>; good: DeliveryCheck }> {
  #o!: { counts: Map<string, number>; good: DeliveryCheck };

  override init(o: { counts: Map<string, number>; good: DeliveryCheck }): void {
    this.#o = o;
  }

  override send(msg: LogMessage): 3 {
    const conn = msg.getAsString('WS.QUERY.conn') ?? '';
    if (conn === 'good') {
      const seq = msg.get('seq');
      if (typeof seq === 'number') this.#o.good.arrived(seq);
    } else {
      this.#o.counts.set(conn, (this.#o.counts.get(conn) ?? 0) + 1);
    }
    return this.SUCCESS;
  }
}

const counts = new Map<string, number>();
const good = new DeliveryCheck();
let pipeline: Pipeline;
const ports = new Map<string, number>();
let rss: RssSampler;
let goodClient: { stop(): Promise<void>; failures: string[]; frames: number };
const tally = { connections: 0, frames: 0, acked: 0, nacked: 0, closes: new Map<number, number>() };

const key = (format: Format, ack: boolean): string => `${format}-${ack ? 'ack' : 'none'}`;

beforeAll(async () => {
  const sources: Record<
    string,
    { class: typeof WebSocketSource; options: WebSocketSourceOptions }
  > = {};
  for (const f of FORMATS) {
    for (const ack of [true, false]) {
      sources[key(f, ack)] = {
        class: WebSocketSource,
        options: {
          host: '127.0.0.1',
          port: 0,
          format: f,
          maxPayload: MAX_PAYLOAD,
          ack: ack ? 'batch' : 'none',
          acceptBinary: ack,
        },
      };
    }
  }
  pipeline = new Pipeline(
    defineConfig({
      sources,
      destinations: { count: { class: ConnCounter, options: { counts, good } } },
      logPaths: [{ sources: Object.keys(sources), destinations: ['count'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  for (const name of Object.keys(sources)) {
    ports.set(name, await (pipeline.component(name) as WebSocketSource).whenListening());
  }
  rss = new RssSampler();
  goodClient = startGoodClient(ports.get(key('ndjson', true))!);
});

afterAll(async () => {
  await goodClient?.stop();
  rss?.stop();
  await pipeline?.stop();
});

/**
 * Sends `{"seq":n}` frames (two lines each) one after the other on one
 * connection with acks, marking a frame's messages accepted on its ack.
 */
function startGoodClient(port: number): typeof goodClient {
  const failures: string[] = [];
  let running = true;
  let frames = 0;
  const loop = (async () => {
    const ws = await open(`ws://127.0.0.1:${port}/?conn=good`);
    ws.on('close', (code) => {
      if (running) failures.push(`the good client's connection closed (${code})`);
    });
    let seq = 0;
    let waiting: ((r: Record<string, unknown>) => void) | undefined;
    ws.on('message', (d: Buffer) => waiting?.(JSON.parse(d.toString()) as Record<string, unknown>));
    while (running && ws.readyState === WebSocket.OPEN) {
      const reply = new Promise<Record<string, unknown>>((r) => (waiting = r));
      ws.send(`{"seq":${seq}}\n{"seq":${seq + 1}}`);
      const r = await reply;
      frames++;
      if ('ack' in r) {
        good.accepted.add(seq);
        good.accepted.add(seq + 1);
      } else failures.push(`good frame nacked: ${JSON.stringify(r)}`);
      seq += 2;
    }
    ws.close();
  })().catch((err: unknown) => void failures.push(String(err)));
  return {
    failures,
    get frames() {
      return frames;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** What a frame must become: its message count, or undefined when it must be refused. */
function expectedMessages(format: Format, data: Buffer, binary: boolean): number | undefined {
  if (format === 'text') return 1;
  const text = data.toString('utf8');
  if (binary && !Buffer.from(text, 'utf8').equals(data)) return undefined; // not valid UTF-8
  const lines = text.split('\n');
  switch (format) {
    case 'lines':
    case 'syslog':
      return lines.filter((l) => l !== '' && l !== '\r').length;
    case 'ndjson': {
      let n = 0;
      for (const l of lines) {
        if (l === '') continue;
        try {
          JSON.parse(l);
          n++;
        } catch {
          if (l.trim() !== '') return undefined;
        }
      }
      return n;
    }
    case 'json': {
      try {
        const v: unknown = JSON.parse(text);
        return Array.isArray(v) ? v.length : 1;
      } catch {
        return undefined;
      }
    }
  }
}

const jsonText = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
const frameText = fc.oneof(
  hostileString,
  jsonText,
  fc.array(fc.object({ maxDepth: 1 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
  fc
    .array(
      fc.oneof(
        jsonText,
        hostileString.map((s) => s.replace(/\n/g, ' ')),
      ),
      { maxLength: 8 },
    )
    .map((l) => l.join('\n')),
  fc
    .array(
      fc.oneof(
        rfc5424Line.map((l) => l.line),
        rfc3164Line.map((l) => l.line),
      ),
      { maxLength: 5 },
    )
    .map((l) => l.join('\r\n')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);
interface Frame {
  data: Buffer;
  binary: boolean;
}
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: frameText.map((s) => ({ data: Buffer.from(s, 'utf8'), binary: false })) },
  { weight: 1, arbitrary: frameText.map((s) => ({ data: Buffer.from(s, 'utf8'), binary: true })) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((b) => ({ data: Buffer.from(b), binary: true })),
  },
);
/** A last frame that ends the connection whatever the mode. */
type Terminal = 'bad-utf8-text' | 'oversize';
const terminal: fc.Arbitrary<Terminal | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<Terminal>('bad-utf8-text', 'oversize') },
);
const BAD_UTF8 = Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x22, 0x7d]);

/** Sends the frames on a fresh connection; collects replies and the close code. */
async function session(
  name: string,
  conn: string,
  frames: Frame[],
  last: Terminal | undefined,
  until: (replies: Record<string, unknown>[]) => boolean,
): Promise<{ replies: Record<string, unknown>[]; code: number | undefined }> {
  const ws = await open(`ws://127.0.0.1:${ports.get(name)!}/?conn=${conn}`);
  tally.connections++;
  const replies: Record<string, unknown>[] = [];
  let code: number | undefined;
  const closedP = new Promise<void>((r) =>
    ws.on('close', (c) => {
      code = c;
      r();
    }),
  );
  ws.on('error', () => {});
  let wake: () => void = () => {};
  ws.on('message', (d: Buffer) => {
    replies.push(JSON.parse(d.toString()) as Record<string, unknown>);
    wake();
  });
  for (const f of frames) ws.send(f.data, { binary: f.binary });
  if (last === 'bad-utf8-text') ws.send(BAD_UTF8, { binary: false });
  if (last === 'oversize') ws.send(Buffer.alloc(MAX_PAYLOAD + 1, 0x61), { binary: false });
  tally.frames += frames.length + (last ? 1 : 0);
  const done = new Promise<void>((r) => {
    wake = () => {
      if (until(replies)) r();
    };
    wake();
  });
  await Promise.race([done, closedP]);
  if (code === undefined) {
    ws.close(1000);
    await closedP;
  }
  if (code !== undefined) tally.closes.set(code, (tally.closes.get(code) ?? 0) + 1);
  return { replies, code };
}

/** Waits until `conn` posted `n` messages, then checks it posted no more. */
async function expectPosted(conn: string, n: number): Promise<void> {
  await vi.waitFor(() => expect(counts.get(conn) ?? 0).toBeGreaterThanOrEqual(n), {
    timeout: 10_000,
    interval: 2,
  });
  await new Promise((r) => setTimeout(r, 5));
  expect(counts.get(conn) ?? 0, `messages posted by connection ${conn}`).toBe(n);
}

let connSeq = 0;

describe('WebSocketSource under hostile frames', () => {
  it('with acks: one reply per frame in order, an ack with exactly its messages or a nack with none', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        fc.array(frame, { maxLength: 8 }),
        terminal,
        async (format, frames, last) => {
          const conn = `a${connSeq++}`;
          const expected = frames.map((f) => expectedMessages(format, f.data, f.binary));
          const { replies, code } = await session(key(format, true), conn, frames, last, (r) =>
            last === undefined ? r.length >= frames.length : false,
          );
          if (last === undefined) {
            expect(code, 'a connection without a terminal frame stays open').toBe(1000);
            expect(replies.map((r) => r.frame)).toEqual(frames.map((_, i) => i + 1));
            replies.forEach((r, i) => {
              const why = `frame ${i + 1} (${frames[i]!.binary ? 'binary' : 'text'} ${JSON.stringify(frames[i]!.data.toString('utf8').slice(0, 80))}): ${JSON.stringify(r)}`;
              if (expected[i] === undefined) {
                expect(r, why).toMatchObject({
                  nack: null,
                  retry: false,
                  reason: expect.stringMatching(/^frame \d+: /) as unknown,
                });
                tally.nacked++;
              } else {
                expect(r, why).toMatchObject({ ack: null });
                tally.acked++;
              }
            });
          } else {
            expect(code, `terminal ${last}`).toBe(last === 'oversize' ? 1009 : 1007);
          }
          // Frames are posted on receipt, so even those whose ack was lost to a close are posted.
          await expectPosted(
            conn,
            expected.reduce<number>((n, e) => n + (e ?? 0), 0),
          );
        },
      ),
      { ...fuzzParams(0x00c0_ffee, 120), timeout: 20_000 },
    );
  }, 120_000);

  it('without acks: the first bad frame closes with its code (1003, 1007, 1009) after the good ones were posted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMATS),
        fc.array(frame, { maxLength: 8 }),
        terminal,
        async (format, frames, last) => {
          const conn = `n${connSeq++}`;
          let posted = 0;
          let wantCode: number | undefined =
            last === undefined ? undefined : last === 'oversize' ? 1009 : 1007;
          for (const f of frames) {
            if (f.binary) {
              wantCode = 1003;
              break;
            }
            const e = expectedMessages(format, f.data, false);
            if (e === undefined) {
              wantCode = 1007;
              break;
            }
            posted += e;
          }
          // Without a bad frame the client closes at once: the server reads its frames before the close.
          const { code } = await session(
            key(format, false),
            conn,
            frames,
            last,
            () => wantCode === undefined,
          );
          // Nothing ends a connection of good frames but the client: it closed with 1000.
          expect(code).toBe(wantCode ?? 1000);
          await expectPosted(conn, posted);
        },
      ),
      { ...fuzzParams(0x0b57_ac1e, 80), timeout: 20_000 },
    );
  }, 120_000);

  it('kept the well-behaved client whole: every acked message delivered once', async () => {
    await goodClient.stop();
    rss.stop();
    await vi.waitFor(() => expect(good.delivered).toBe(good.accepted.size), { timeout: 15_000 });
    expect(goodClient.failures).toEqual([]);
    expect(good.accepted.size).toBeGreaterThan(0);
    expect(good.duplicated).toBe(0);
    expect(good.lost).toBe(0);
    await writeResult({
      scenario: 'hostile-ws',
      load: `${tally.connections} hostile connections sending ${tally.frames} frames (${FORMATS.length} formats, acks on and off) beside a client sending ${goodClient.frames} acked frames to the same server`,
      injected:
        'random text and binary frames, malformed JSON/NDJSON, invalid UTF-8 in text and binary frames, oversize frames',
      sent: good.accepted.size,
      delivered: good.delivered,
      duplicated: good.duplicated,
      lost: good.lost,
      peakRssMiB: rss.peakMiB,
      details: {
        hostileFramesAcked: tally.acked,
        hostileFramesNacked: tally.nacked,
        closeCodes: [...tally.closes]
          .sort((a, b) => a[0] - b[0])
          .map(([c, n]) => `${c}×${n}`)
          .join(', '),
        baselineRssMiB: mib(rss.baseline),
        node: process.version,
        date: new Date().toISOString(),
      },
    });
  });
});
