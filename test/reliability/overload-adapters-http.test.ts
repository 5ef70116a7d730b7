/**
 * Overload through HttpSource: clients offer request bodies ten times faster
 * than a slow destination writes, for LOGPATH_SOAK_MS (default 4 s). Flow
 * control must answer 429 once the window is full; the clients retry a
 * refused body at their own pace (ignoring Retry-After, the worst case). The
 * process RSS must stay under a bound derived from the window and the bodies
 * in flight, and once the load stops every body answered 202 must be
 * delivered. The figures go to `results/overload-http.json`.
 */
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { defineConfig, Pipeline } from '@logpath/core';
import { HttpSource } from '@logpath/adapter-http';
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

function postBody(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'text/plain' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0)); // a reset connection: the body is retried
    req.end(body);
  });
}

describe('overload through HttpSource', () => {
  it(
    `answers 429 under a 10× overload for ${LOAD_MS} ms, keeps RSS bounded, then delivers every accepted body`,
    async () => {
      const arrivals = new Arrivals();
      const speed: Pace = { delayMs: DEST_DELAY_MS };
      const pipeline = new Pipeline(
        defineConfig({
          sources: {
            http: {
              class: HttpSource,
              options: { host: '127.0.0.1', port: 0, format: 'text', retryAfter: 100 },
              logIwSize: WINDOW,
            },
          },
          destinations: {
            slow: { class: SlowSink, options: { arrivals, pace: speed }, batchLines: DEST_BATCH },
          },
          logPaths: [{ sources: ['http'], destinations: ['slow'] }],
          log: { stderr: false },
        }),
      );
      const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
      const rss = new RssSampler();
      const accepted: number[] = []; // body numbers answered 202
      const retry: number[] = []; // body numbers refused, to offer again first
      const statuses: Record<string, number> = {};
      let nextBody = 0;
      let inFlight = 0;
      let attempts = 0;
      try {
        await pipeline.start();
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
          void postBody(agent, url, body).then((status) => {
            inFlight--;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 202) accepted.push(n);
            else retry.push(n); // 429, or anything else: the client keeps the body and retries
          });
          return true;
        };
        const loadStart = performance.now();
        const deadline = loadStart + LOAD_MS;
        await pace(OFFER_RATE, PER_BODY, () => performance.now() < deadline, offer);
        await settle(() => inFlight === 0, 30_000);
        const loadMs = performance.now() - loadStart;
        const deliveredInLoad = arrivals.delivered;
        speed.delayMs = 0; // the destination recovers: what was accepted must now all arrive
        const sent = accepted.length * PER_BODY;
        const drainMs = await settle(() => arrivals.delivered >= sent, 60_000);
        await pipeline.stop();
        rss.stop();

        const seqs = accepted.flatMap((n) =>
          Array.from({ length: PER_BODY }, (_, i) => n * PER_BODY + i),
        );
        const lost = arrivals.missing(seqs);
        const refused = statuses['429'] ?? 0;
        const throughput = Math.round(deliveredInLoad / (loadMs / 1000));
        const offered = Math.round((attempts * PER_BODY) / (loadMs / 1000));
        const bound = rss.baseline + RSS_ALLOWANCE;
        const summary = {
          scenario: 'overload-http',
          load: `HTTP clients offer ${OFFER_RATE} msg/s (bodies of ${PER_BODY} ${PAYLOAD_BYTES}-byte lines, ≤ ${MAX_IN_FLIGHT} in flight), 10× a destination taking ${DEST_RATE} msg/s, for ${LOAD_MS / 1000} s`,
          injected: `overload: ${refused} of ${attempts} requests answered 429 and retried by the client`,
          sent,
          delivered: arrivals.delivered,
          duplicated: arrivals.duplicated,
          lost,
          peakRssMiB: mib(rss.peak),
          details: {
            offeredMsgPerSec: offered,
            throughputMsgPerSec: throughput,
            statuses: JSON.stringify(statuses),
            baselineRssMiB: mib(rss.baseline),
            rssBoundMiB: mib(bound),
            window: WINDOW,
            drainMs: Math.round(drainMs),
            note: 'RSS of the test process, which also runs the HTTP clients',
            node: process.version,
            date: new Date().toISOString(),
          },
        };
        console.log(`overload-http: ${JSON.stringify(summary)}`);
        await writeResult(summary);

        expect(statuses['0'] ?? 0, 'requests that failed without an answer').toBe(0);
        expect(refused, 'most attempts are refused with 429').toBeGreaterThan(accepted.length);
        expect(sent).toBeGreaterThan(DEST_RATE * (LOAD_MS / 1000) * 0.2);
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
        agent.destroy();
        await pipeline.stop();
      }
    },
    LOAD_MS + 120_000,
  );
});
