/**
 * Fault: the server behind an HttpDestination is stopped for 20 s (its
 * connections cut), then started again on the same port, while a source
 * keeps posting. Connection errors are NOT_CONNECTED, resent without limit,
 * so nothing may be lost; the resends and the duplicates (a batch the server
 * took just before its connections were cut) are reported. The figures go to
 * `results/fault-http-outage.json`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defineConfig, Pipeline, type InternalLogRecord } from '@logpath/core';
import { HttpDestination } from '@logpath/adapter-http';
import { writeResult } from './results.js';
import { PacedSource, Receiver, type PacedSourceOptions } from './fault-support.js';
import { mib, RssSampler, settle } from './overload-support.js';

const RATE = 500;
const OUTAGE_MS = 20_000;
const BEFORE_MS = 2000;
const AFTER_MS = 2000;
const TIME_REOPEN = 500;

describe('HttpDestination when its server goes away for 20 s', () => {
  it(
    'resends until the server is back on the same port, losing nothing',
    async () => {
      const receiver = new Receiver();
      const port = await receiver.start();
      const state: PacedSourceOptions['state'] = { on: true, posted: 0, waits: 0 };
      const logs: InternalLogRecord[] = [];
      const pipeline = new Pipeline(
        defineConfig({
          sources: { paced: { class: PacedSource, options: { rate: RATE, state } } },
          destinations: {
            http: {
              class: HttpDestination,
              options: { url: `http://127.0.0.1:${port}/ingest`, timeout: 5000 },
              batchLines: 100,
              batchTimeout: 100,
              timeReopen: TIME_REOPEN,
            },
          },
          logPaths: [{ sources: ['paced'], destinations: ['http'] }],
          log: { stderr: false },
        }),
        { logSink: (r) => logs.push(r) },
      );
      const rss = new RssSampler();
      const t0 = performance.now();
      try {
        await pipeline.start();
        await sleep(BEFORE_MS);
        const beforeOutage = receiver.tally.distinct;
        await receiver.stop();
        const outageStart = performance.now();
        await sleep(OUTAGE_MS);
        const postedInOutage = state.posted;
        await receiver.start(); // the same port
        const outageMs = performance.now() - outageStart;
        await sleep(AFTER_MS);
        state.on = false;
        const drainMs = await settle(() => receiver.tally.distinct >= state.posted, 60_000);
        const dest = pipeline.stats().find((s) => s.kind === 'destination')!;
        await pipeline.stop();
        rss.stop();

        const sent = state.posted;
        const missing = receiver.tally.missingBelow(sent);
        const summary = {
          scenario: 'fault-http-outage',
          load: `a source posts ${RATE} msg/s to an HttpDestination (batches of 100) for ${Math.round((performance.now() - t0 - drainMs) / 1000)} s`,
          injected: `the HTTP server stopped (connections cut) for ${Math.round(outageMs / 1000)} s, then started on the same port`,
          sent,
          delivered: receiver.tally.distinct,
          duplicated: receiver.tally.duplicated,
          lost: missing.length,
          peakRssMiB: mib(rss.peak),
          details: {
            resentMessages: dest.retried, // each resend of a batch counts its messages
            requestsServed: receiver.requests,
            deliveredBeforeOutage: beforeOutage,
            postedByOutageEnd: postedInOutage,
            sourceWaitsForWindow: state.waits,
            drainAfterOutageMs: Math.round(drainMs),
            timeReopenMs: TIME_REOPEN,
            note: 'RSS of the test process (pipeline and receiver)',
            node: process.version,
            date: new Date().toISOString(),
          },
        };
        console.log(`fault-http-outage: ${JSON.stringify(summary)}`);
        await writeResult(summary);

        expect(beforeOutage, 'messages flowed before the outage').toBeGreaterThan(0);
        expect(dest.retried, 'the outage made the destination resend').toBeGreaterThan(0);
        expect(missing.slice(0, 20), `${missing.length} messages lost`).toEqual([]);
        expect(dest.dropped).toEqual({});
        expect(
          logs.some((l) => l.level !== 'debug' && /ECONNREFUSED/.test(l.message)),
          'the outage is logged with its reason',
        ).toBe(true);
      } finally {
        state.on = false;
        rss.stop();
        await pipeline.stop();
        await receiver.stop();
      }
    },
    OUTAGE_MS + 120_000,
  );
});
