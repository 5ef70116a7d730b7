/**
 * Overload through HttpSource: clients offer request bodies ten times faster
 * than a slow destination writes, for LOGPATH_SOAK_MS (default 4 s). Flow
 * control must answer 429 once the window is full; the clients retry a
 * refused body at their own pace (ignoring Retry-After, the worst case). The
 * process RSS must stay under a bound derived from the window and the bodies
 * in flight, and once the load stops every body answered 202 must be
 * delivered. The figures go to `results/overload-http.json`.
 */
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpSource } from '@logpath/adapter-http';
import { runOverload } from './overload-runner.js';
import {
  DEST_RATE,
  LOAD_MS,
  line,
  MiB,
  OFFER_RATE,
  PAYLOAD_BYTES,
  postText,
} from './overload-support.js';

/** Messages per request body. */
const PER_BODY = 100;
const MAX_IN_FLIGHT = 16;
const WINDOW = 2000;
/**
 * The window can be overshot by the bodies in flight (a body is posted
 * whole): (WINDOW + MAX_IN_FLIGHT bodies) messages at ~2 KiB each (text,
 * LogMessage, the body buffer), plus 96 MiB for heap growth, GC lag and the
 * load generator in the same process.
 */
const RSS_ALLOWANCE = (WINDOW + MAX_IN_FLIGHT * PER_BODY) * 2048 + 96 * MiB;

describe('overload through HttpSource', () => {
  it(
    `answers 429 under a 10× overload for ${LOAD_MS} ms, keeps RSS bounded, then delivers every accepted body`,
    async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
      const accepted: number[] = []; // body numbers answered 202
      const retry: number[] = []; // body numbers refused, to offer again first
      const statuses: Record<string, number> = {};
      let nextBody = 0;
      let inFlight = 0;
      let attempts = 0;
      const refused = (): number => statuses['429'] ?? 0;
      await runOverload({
        scenario: 'overload-http',
        sourceName: 'http',
        source: {
          class: HttpSource,
          options: { host: '127.0.0.1', port: 0, format: 'text', retryAfter: 100 },
          logIwSize: WINDOW,
        },
        rssAllowance: RSS_ALLOWANCE,
        connect: async (pipeline) => {
          const port = await (pipeline.component('http') as HttpSource).whenListening();
          const url = `http://127.0.0.1:${port}/`;
          const offer = (): boolean => {
            if (inFlight >= MAX_IN_FLIGHT) return false;
            const n = retry.shift() ?? nextBody++;
            const body = Array.from({ length: PER_BODY }, (_, i) => line(n * PER_BODY + i)).join(
              '\n',
            );
            inFlight++;
            attempts++;
            void postText(agent, url, body).then((status) => {
              inFlight--;
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status === 202) accepted.push(n);
              else retry.push(n); // 429, or anything else: the client keeps the body and retries
            });
            return true;
          };
          return {
            perCall: PER_BODY,
            offer,
            inFlight: () => inFlight,
            sent: () => accepted.length * PER_BODY,
            accepted: () =>
              accepted.flatMap((n) => Array.from({ length: PER_BODY }, (_, i) => n * PER_BODY + i)),
          };
        },
        report: (f) => ({
          load: `HTTP clients offer ${OFFER_RATE} msg/s (bodies of ${PER_BODY} ${PAYLOAD_BYTES}-byte lines, ≤ ${MAX_IN_FLIGHT} in flight), 10× a destination taking ${DEST_RATE} msg/s, for ${LOAD_MS / 1000} s`,
          injected: `overload: ${refused()} of ${attempts} requests answered 429 and retried by the client`,
          details: {
            offeredMsgPerSec: f.perSec(attempts * PER_BODY),
            throughputMsgPerSec: f.throughput,
            statuses: JSON.stringify(statuses),
            ...f.rssDetails,
            window: WINDOW,
            drainMs: Math.round(f.drainMs),
            note: 'RSS of the test process, which also runs the HTTP clients',
          },
        }),
        check: (f) => {
          expect(statuses['0'] ?? 0, 'requests that failed without an answer').toBe(0);
          expect(refused(), 'most attempts are refused with 429').toBeGreaterThan(accepted.length);
          expect(f.sent).toBeGreaterThan(DEST_RATE * (LOAD_MS / 1000) * 0.2);
        },
        release: () => agent.destroy(),
      });
    },
    LOAD_MS + 120_000,
  );
});
