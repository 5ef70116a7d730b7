/**
 * Overload, core only: a source offers messages ten times faster than a slow
 * batching destination can take them, for LOGPATH_SOAK_MS (default 5 s).
 * Offers that find the window full are refused, as an HTTP source answers
 * 429. Flow control must keep the process RSS under a bound derived from the
 * window, and once the load stops every accepted message must arrive exactly
 * once, in order. The figures go to `results/overload-core.json`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defineConfig, LogDestination, LogMessage, LogSource, Pipeline } from '@logpath/core';
import { writeResult } from './results.js';

const LOAD_MS = Number(process.env.LOGPATH_SOAK_MS ?? 5000);
/** The destination takes a batch of BATCH messages per DELAY_MS: at most 10000 msg/s. */
const BATCH = 100;
const DELAY_MS = 10;
const DEST_RATE = (BATCH * 1000) / DELAY_MS;
const OFFER_RATE = 10 * DEST_RATE;
const WINDOW = 5000;
const PAYLOAD_BYTES = 1024;
const MiB = 1024 * 1024;
/**
 * What the window can hold (payload plus a generous 1 KiB of message
 * overhead), twice for the queue and the batch in flight, plus 96 MiB for
 * the heap's own growth and GC lag (measured: 45–60 MiB above the baseline
 * at 5 s). Without flow control the source holds ~1.4 KiB per offer:
 * measured 400 MiB above the baseline within 5 s.
 */
const RSS_ALLOWANCE = 2 * WINDOW * (PAYLOAD_BYTES + 1024) + 96 * MiB;

interface Tally {
  offered: number;
  posted: number;
  refused: number;
}

/** Offers OFFER_RATE msg/s while `loadOn`; posts what the window takes, refuses the rest. */
class FloodSource extends LogSource<{ tally: Tally; loadOn: () => boolean }> {
  #tally!: Tally;
  #loadOn!: () => boolean;

  override init(o: { tally: Tally; loadOn: () => boolean }): void {
    this.#tally = o.tally;
    this.#loadOn = o.loadOn;
  }

  override async run(): Promise<void> {
    const t = this.#tally;
    const start = performance.now();
    while (this.#loadOn() && !this.signal.aborted) {
      const due = Math.floor(((performance.now() - start) * OFFER_RATE) / 1000) - t.offered;
      for (let i = 0; i < due; i++) {
        t.offered++;
        if (!this.hasRoom) {
          t.refused++; // the 429 of an HTTP source: the sender keeps it
          continue;
        }
        // Its own bytes per message, as a request body would be; the bookmark is its sequence number.
        const body = Buffer.allocUnsafe(PAYLOAD_BYTES);
        body.writeUInt32LE(t.posted);
        this.postMessage(new LogMessage(body, t.posted++));
      }
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Batches messages and "writes" each batch in DELAY_MS; checks exactly-once order as it goes. */
class SlowSink extends LogDestination<{ check: OrderCheck }> {
  #check!: OrderCheck;
  #batch: number[] = [];

  override init(o: { check: OrderCheck }): void {
    this.#check = o.check;
  }

  override send(msg: LogMessage): 4 {
    this.#batch.push(msg.bookmark as number);
    return this.QUEUED;
  }

  override async flush(): Promise<3> {
    await sleep(DELAY_MS);
    for (const seq of this.#batch) this.#check.arrived(seq);
    this.#batch = [];
    return this.SUCCESS;
  }

  override close(): void {
    this.#batch = []; // the runtime resends what was not flushed
  }
}

/** Counts arrivals against the expected sequence 0, 1, 2, … without keeping them. */
class OrderCheck {
  next = 0;
  delivered = 0;
  duplicated = 0;
  outOfOrder = 0;

  arrived(seq: number): void {
    if (seq === this.next) {
      this.next++;
      this.delivered++;
    } else if (seq < this.next) {
      this.duplicated++;
    } else {
      this.outOfOrder++; // what it skipped can only arrive late now, and counts as duplicated
      this.next = seq + 1;
      this.delivered++;
    }
  }
}

describe('overload, core only', () => {
  it(
    `keeps RSS bounded under a 10× overload for ${LOAD_MS} ms, then delivers every accepted message once, in order`,
    async () => {
      const tally: Tally = { offered: 0, posted: 0, refused: 0 };
      const check = new OrderCheck();
      let loadOn = true;
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 25);
      const pipeline = new Pipeline(
        defineConfig({
          sources: {
            flood: {
              class: FloodSource,
              options: { tally, loadOn: () => loadOn },
              logIwSize: WINDOW,
            },
          },
          destinations: { slow: { class: SlowSink, options: { check }, batchLines: BATCH } },
          logPaths: [{ sources: ['flood'], destinations: ['slow'] }],
          log: { stderr: false },
        }),
      );
      const t0 = performance.now();
      try {
        await pipeline.start();
        await sleep(LOAD_MS);
        loadOn = false;
        const loadEnd = performance.now();
        const deliveredInLoad = check.delivered;
        // Polled rather than awaited with expect, so a loss is reported with its figures.
        const drainLimit = performance.now() + 60_000;
        while (
          check.delivered + check.duplicated < tally.posted &&
          performance.now() < drainLimit
        ) {
          await sleep(20);
        }
        const drainMs = performance.now() - loadEnd;
        await pipeline.stop();
        peak = Math.max(peak, process.memoryUsage().rss);
        clearInterval(sampler);

        const lost = tally.posted - check.delivered;
        const seconds = LOAD_MS / 1000;
        const throughput = Math.round(deliveredInLoad / seconds);
        const peakMiB = Math.round((peak / MiB) * 10) / 10;
        const boundMiB = Math.round(((baseline + RSS_ALLOWANCE) / MiB) * 10) / 10;
        const summary = {
          scenario: 'overload-core',
          load: `source offers ${OFFER_RATE} msg/s of ${PAYLOAD_BYTES}-byte messages, 10× a destination taking ${DEST_RATE} msg/s (batches of ${BATCH}, ${DELAY_MS} ms each), for ${seconds} s`,
          injected: `overload: ${tally.refused} of ${tally.offered} offers refused while the window (${WINDOW}) was full`,
          sent: tally.posted,
          delivered: check.delivered,
          duplicated: check.duplicated,
          lost,
          peakRssMiB: peakMiB,
          details: {
            baselineRssMiB: Math.round((baseline / MiB) * 10) / 10,
            rssBoundMiB: boundMiB,
            throughputMsgPerSec: throughput,
            drainMs: Math.round(drainMs),
            totalMs: Math.round(performance.now() - t0),
            node: process.version,
            platform: `${process.platform}-${process.arch}`,
            date: new Date().toISOString(),
          },
        };
        console.log(
          `overload-core: offered ${tally.offered}, sent ${tally.posted}, delivered ${check.delivered}, ` +
            `duplicated ${check.duplicated}, lost ${lost}, out of order ${check.outOfOrder}; ` +
            `throughput ${throughput} msg/s; peak RSS ${peakMiB} MiB (baseline ${summary.details.baselineRssMiB}, bound ${boundMiB}); drain ${Math.round(drainMs)} ms`,
        );
        await writeResult(summary);

        // The overload was real: most offers were refused, and the destination ran near its rate.
        expect(tally.refused).toBeGreaterThan(tally.posted);
        expect(tally.posted).toBeGreaterThan(DEST_RATE * seconds * 0.2);
        expect(check.outOfOrder).toBe(0);
        expect(check.duplicated).toBe(0);
        expect(lost).toBe(0);
        expect(check.delivered).toBe(tally.posted);
        expect(peak, `peak RSS ${peakMiB} MiB, bound ${boundMiB} MiB`).toBeLessThan(
          baseline + RSS_ALLOWANCE,
        );
        const dest = pipeline.stats().find((s) => s.kind === 'destination')!;
        expect(dest.dropped).toEqual({});
        expect(dest.delivered).toBe(tally.posted);
      } finally {
        loadOn = false;
        clearInterval(sampler);
        await pipeline.stop();
      }
    },
    LOAD_MS + 90_000,
  );
});
