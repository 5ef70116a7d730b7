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
import { WebSocketSource } from '@logpath/adapter-ws';
import { runOverload } from './overload-runner.js';
import { DEST_RATE, LOAD_MS, line, MiB, OFFER_RATE, PAYLOAD_BYTES } from './overload-support.js';

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
      let client: WebSocket | undefined;
      let suspensions = 0;
      let acked = 0;
      const nacks: string[] = [];
      let frames = 0;
      let attempts = 0;
      let heldBack = 0;
      await runOverload({
        scenario: 'overload-websocket',
        sourceName: 'ws',
        source: {
          class: WebSocketSource,
          options: { host: '127.0.0.1', port: 0, format: 'lines', ack: 'batch' },
          logIwSize: WINDOW,
        },
        rssAllowance: RSS_ALLOWANCE,
        connect: async (pipeline) => {
          const src = pipeline.component('ws') as WebSocketSource;
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
          ws.on('message', (data: Buffer) => {
            const reply = JSON.parse(data.toString('utf8')) as { ack?: unknown; reason?: string };
            if ('ack' in reply) acked++;
            else nacks.push(String(reply.reason));
          });
          const offer = (): boolean => {
            attempts++;
            if (ws.bufferedAmount >= CLIENT_BUFFER) {
              heldBack++; // TCP pushes back: the socket is not read
              return false;
            }
            const n = frames++;
            ws.send(
              Array.from({ length: PER_FRAME }, (_, i) => line(n * PER_FRAME + i)).join('\n'),
            );
            return true;
          };
          return {
            perCall: PER_FRAME,
            offer,
            sent: () => frames * PER_FRAME, // every frame written must arrive
            drained: () => acked + nacks.length >= frames,
            afterDrain: () => ws.close(),
          };
        },
        report: (f) => ({
          load: `a WebSocket client offers ${OFFER_RATE} msg/s (frames of ${PER_FRAME} ${PAYLOAD_BYTES}-byte lines, ack: batch), 10× a destination taking ${DEST_RATE} msg/s, for ${LOAD_MS / 1000} s`,
          injected: `overload: reads paused ${suspensions} times; ${heldBack} of ${attempts} offers held back by the client while the socket pushed back`,
          details: {
            framesWritten: frames, // no frame is written after the load
            framesAcked: acked,
            nacks: nacks.length,
            throughputMsgPerSec: f.throughput,
            ...f.rssDetails,
            window: WINDOW,
            drainMs: Math.round(f.drainMs),
            note: 'RSS of the test process, which also runs the WebSocket client',
          },
        }),
        check: () => {
          expect(suspensions, 'flow control paused the reads').toBeGreaterThan(0);
          expect(heldBack, 'the client felt the pushback').toBeGreaterThan(frames / 2);
          expect(nacks).toEqual([]);
          expect(acked).toBe(frames);
        },
        release: () => client?.terminate(),
      });
    },
    LOAD_MS + 120_000,
  );
});
