/**
 * One core benchmark scenario per process, so peak RSS is the scenario's own:
 * a source posting N messages of ~200 bytes into one destination.
 * Usage: tsx bench/core/core-bench.ts <null|file|null-acks|disk> [count]
 * `disk`: NullDestination behind a reliable disk buffer (fsync per event-loop turn).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InstantAckTracker,
  LogMessage,
  LogSource,
  NullDestination,
  Pipeline,
  defineConfig,
  FileDestination,
  type DestinationConfig,
} from '@logpath/core';

const scenario = process.argv[2] ?? 'null';
const count = Number(process.argv[3] ?? 2_000_000);
const BODY =
  'GET /api/v1/items?id=12345 HTTP/1.1 200 1532 "-" "Mozilla/5.0 (X11; Linux x86_64)" ' +
  'x'.repeat(110);

class BenchSource extends LogSource<{ count: number; acks: boolean }> {
  #count = 0;
  #acks = false;
  acked = 0;
  override init(o: { count: number; acks: boolean }): void {
    this.#count = o.count;
    this.#acks = o.acks;
    if (o.acks) this.ackTracker = new InstantAckTracker(() => void this.acked++);
  }
  override async run(): Promise<void> {
    const n = this.#count;
    const acks = this.#acks;
    for (let i = 0; i < n; i++) {
      const msg = acks ? new LogMessage(BODY, i) : new LogMessage(BODY);
      if (!this.postMessage(msg)) await this.waitForWindow();
    }
  }
}

const dir = await mkdtemp(join(tmpdir(), 'logpath-bench-'));
const dest: DestinationConfig =
  scenario === 'file'
    ? { class: FileDestination, options: { path: join(dir, 'out.ndjson') } }
    : { class: NullDestination, options: {} };
if (scenario === 'disk')
  dest.diskBuffer = { dir: join(dir, 'buffer'), maxBytes: 1 << 30, reliable: true };

const pipeline = new Pipeline(
  defineConfig({
    sources: { bench: { class: BenchSource, options: { count, acks: scenario === 'null-acks' } } },
    destinations: { out: { ...dest, batchLines: 1000, logFifoSize: 100_000 } },
    logPaths: [{ sources: ['bench'], destinations: ['out'] }],
    log: { stderr: false },
  }),
);
const t0 = performance.now();
await pipeline.start();
for (;;) {
  const out = pipeline.stats().find((s) => s.name === 'out')!;
  if (out.delivered >= count) break;
  await new Promise((r) => setTimeout(r, 2));
}
const seconds = (performance.now() - t0) / 1000;
await pipeline.stop();
await rm(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    scenario,
    messages: count,
    seconds: Number(seconds.toFixed(3)),
    perSecond: Math.round(count / seconds),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
