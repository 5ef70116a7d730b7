/**
 * Overload through WebSocketSource: a client offers frames ten times faster
 * than a slow destination writes, for LOGPATH_SOAK_MS (default 4 s). Flow
 * control pauses the socket reads; the TCP window then pushes back, which the
 * client sees as a growing `bufferedAmount` and waits on. The process RSS
 * must stay under a bound, and once the load stops every frame the client
 * wrote must be acknowledged (`ack: 'batch'`) and delivered. The figures go
 * to `results/overload-websocket.json`.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { defineConfig, Pipeline } from '@logpath/core';
import { WebSocketSource } from '@logpath/adapter-ws';
import { writeResult } from './results.js';
import {
  Arrivals,
  DEST_BATCH,
  DEST_DELAY_MS,
  DEST_RATE,
  LOAD_MS,
  line,
  mib,
  MiB,
  OFFER_RATE,
  pace,
  PAYLOAD_BYTES,
  RssSampler,
  settle,
  SlowSink,
  type Pace,
} from './overload-support.js';

/** Messages per frame. */
const PER_FRAME = 100;
const WINDOW = 2000;
/** The client stops writing while this much is queued in its socket (what the pushback looks like). */
const CLIENT_BUFFER = 1 * MiB;
/**
 * The window overshot by one frame, at ~2 KiB per message, plus the bytes a
 * paused socket still holds (the client's buffer, kernel buffers and ws's
 * receive buffer: a few MiB), plus 96 MiB for heap growth, GC lag and the
 * client in the same process.
 */
const RSS_ALLOWANCE = (WINDOW + PER_FRAME) * 2048 + 8 * CLIENT_BUFFER + 96 * MiB;

describe('overload through WebSocketSource', () => {
  it(
    `pauses reads under a 10× overload for ${LOAD_MS} ms, keeps RSS bounded, then delivers every frame written`,
    async () => {
      const arrivals = new Arrivals();
      const speed: Pace = { delayMs: DEST_DELAY_MS };
      const pipeline = new Pipeline(
        defineConfig({
          sources: {
            ws: {
              class: WebSocketSource,
              options: { host: '127.0.0.1', port: 0, format: 'lines', ack: 'batch' },
              logIwSize: WINDOW,
            },
          },
          destinations: {
            slow: { class: SlowSink, options: { arrivals, pace: speed }, batchLines: DEST_BATCH },
          },
          logPaths: [{ sources: ['ws'], destinations: ['slow'] }],
          log: { stderr: false },
        }),
      );
      const rss = new RssSampler();
      let client: WebSocket | undefined;
      try {
        await pipeline.start();
        const src = pipeline.component('ws') as WebSocketSource;
        let suspensions = 0;
        const suspend = src.suspend.bind(src);
        src.suspend = () => {
          suspensions++;
          suspend();
        };
        const port = await src.whenListening();
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        client = ws;
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        let acked = 0;
        const nacks: string[] = [];
        ws.on('message', (data: Buffer) => {
          const reply = JSON.parse(data.toString('utf8')) as { ack?: unknown; reason?: string };
          if ('ack' in reply) acked++;
          else nacks.push(String(reply.reason));
        });
        let frames = 0;
        let attempts = 0;
        let heldBack = 0;
        const offer = (): boolean => {
          attempts++;
          if (ws.bufferedAmount >= CLIENT_BUFFER) {
            heldBack++; // TCP pushes back: the socket is not read
            return false;
          }
          const n = frames++;
          ws.send(Array.from({ length: PER_FRAME }, (_, i) => line(n * PER_FRAME + i)).join('\n'));
          return true;
        };
        const loadStart = performance.now();
        const deadline = loadStart + LOAD_MS;
        await pace(OFFER_RATE, PER_FRAME, () => performance.now() < deadline, offer);
        const loadMs = performance.now() - loadStart;
        const deliveredInLoad = arrivals.delivered;
        const writtenInLoad = frames;
        speed.delayMs = 0; // the destination recovers: every frame written must now arrive
        const sent = frames * PER_FRAME;
        const drainMs = await settle(
          () => acked + nacks.length >= frames && arrivals.delivered >= sent,
          60_000,
        );
        ws.close();
        await pipeline.stop();
        rss.stop();

        const lost = arrivals.missing(Array.from({ length: sent }, (_, i) => i));
        const throughput = Math.round(deliveredInLoad / (loadMs / 1000));
        const bound = rss.baseline + RSS_ALLOWANCE;
        const summary = {
          scenario: 'overload-websocket',
          load: `a WebSocket client offers ${OFFER_RATE} msg/s (frames of ${PER_FRAME} ${PAYLOAD_BYTES}-byte lines, ack: batch), 10× a destination taking ${DEST_RATE} msg/s, for ${LOAD_MS / 1000} s`,
          injected: `overload: reads paused ${suspensions} times; ${heldBack} of ${attempts} offers held back by the client while the socket pushed back`,
          sent,
          delivered: arrivals.delivered,
          duplicated: arrivals.duplicated,
          lost,
          peakRssMiB: mib(rss.peak),
          details: {
            framesWritten: writtenInLoad,
            framesAcked: acked,
            nacks: nacks.length,
            throughputMsgPerSec: throughput,
            baselineRssMiB: mib(rss.baseline),
            rssBoundMiB: mib(bound),
            window: WINDOW,
            drainMs: Math.round(drainMs),
            note: 'RSS of the test process, which also runs the WebSocket client',
            node: process.version,
            date: new Date().toISOString(),
          },
        };
        console.log(`overload-websocket: ${JSON.stringify(summary)}`);
        await writeResult(summary);

        expect(suspensions, 'flow control paused the reads').toBeGreaterThan(0);
        expect(heldBack, 'the client felt the pushback').toBeGreaterThan(frames / 2);
        expect(nacks).toEqual([]);
        expect(acked).toBe(frames);
        expect(arrivals.unreadable).toBe(0);
        expect(arrivals.duplicated).toBe(0);
        expect(lost).toBe(0);
        expect(arrivals.delivered).toBe(sent);
        expect(rss.peak, `peak RSS ${mib(rss.peak)} MiB, bound ${mib(bound)} MiB`).toBeLessThan(
          bound,
        );
        const dest = pipeline.stats().find((s) => s.kind === 'destination')!;
        expect(dest.dropped).toEqual({});
      } finally {
        rss.stop();
        client?.terminate();
        await pipeline.stop();
      }
    },
    LOAD_MS + 120_000,
  );
});
