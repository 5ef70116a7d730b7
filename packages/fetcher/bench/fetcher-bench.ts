/**
 * Fetcher benchmarks, one JSON line per measured scenario:
 * - memory-1, memory-1000: a fetcher returning in-memory messages (one per
 *   fetch, or batches of 1000) → NullDestination;
 * - http: HttpPoller → NullDestination against a local paginated API (its own
 *   process), and a bare node-fetch loop over the same pages, in one run;
 *   the poller's line carries its ratio to the bare loop.
 * Usage: tsx packages/fetcher/bench/fetcher-bench.ts [memory-1|memory-1000|http|all] [count]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogMessage, NullDestination, Pipeline, defineConfig } from '@logpath/core';
import { FetchStatus, HttpPoller, LogFetcher, type FetchResult } from '../src/index.js';
import fetch from 'node-fetch';

const BODY =
  'GET /api/v1/items?id=12345 HTTP/1.1 200 1532 "-" "Mozilla/5.0 (X11; Linux x86_64)" ' +
  'x'.repeat(110);
const PAGE = 1000;

interface Line {
  scenario: string;
  messages: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  /** This process's CPU time per 1000 messages, in ms (the API server runs in its own process). */
  cpuMsPer1000?: number;
  /** The poller's throughput / the bare loop's, and the goal for it. */
  ratio?: number;
  /** The bare loop's CPU per message / the poller's: above 1 the poller needs less CPU. */
  cpuRatio?: number;
  goal?: number;
}

function line(
  scenario: string,
  messages: number,
  seconds: number,
  extra: Partial<Line> = {},
): Line {
  const l: Line = {
    scenario,
    messages,
    seconds: Number(seconds.toFixed(3)),
    perSecond: Math.round(messages / seconds),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...extra,
  };
  console.log(JSON.stringify(l));
  return l;
}

const perK = (cpuSeconds: number, messages: number): number =>
  Number(((cpuSeconds * 1e6) / messages).toFixed(2));

class MemoryFetcher extends LogFetcher<{ count: number; batch: number }> {
  #left = 0;
  #batch = 1;

  override init(o: { count: number; batch: number }): void {
    this.#left = o.count;
    this.#batch = o.batch;
    this.fetchNoDataDelay = 60_000;
  }

  override fetch(): FetchResult {
    const n = Math.min(this.#batch, this.#left);
    if (n === 0) return FetchStatus.NO_DATA;
    this.#left -= n;
    if (n === 1) return [FetchStatus.SUCCESS, new LogMessage(BODY)];
    const msgs = new Array<LogMessage>(n);
    for (let i = 0; i < n; i++) msgs[i] = new LogMessage(BODY);
    return [FetchStatus.SUCCESS, msgs];
  }
}

/** Wall and CPU seconds of one measured run. */
interface Took {
  wall: number;
  cpu: number;
}

/** Starts `source` → NullDestination and measures the time until `count` messages were delivered. */
async function timePipeline(source: object, count: number, stateDir?: string): Promise<Took> {
  const pipeline = new Pipeline(
    defineConfig({
      sources: { src: source as never },
      destinations: { out: { class: NullDestination, batchLines: 1000, logFifoSize: 100_000 } },
      logPaths: [{ sources: ['src'], destinations: ['out'] }],
      log: { stderr: false },
      ...(stateDir ? { stateDir } : {}),
    }),
  );
  const took = await timed(async () => {
    await pipeline.start();
    for (;;) {
      const out = pipeline.stats().find((s) => s.name === 'out')!;
      if (out.delivered >= count) break;
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  await pipeline.stop();
  return took;
}

async function memory(batch: number, count: number): Promise<void> {
  await timePipeline(
    { class: MemoryFetcher, options: { count: Math.min(count, 50_000), batch } },
    Math.min(count, 50_000),
  ); // warm-up
  const took = await timePipeline({ class: MemoryFetcher, options: { count, batch } }, count);
  line(`memory-${batch}`, count, took.wall, { cpuMsPer1000: perK(took.cpu, count) });
}

/** The API: pages of PAGE items, `?after=K`, body prebuilt; runs in its own process. */
function serve(total: number): void {
  const pages = new Map<number, Buffer>();
  for (let from = 0; from <= total; from += PAGE) {
    const to = Math.min(total, from + PAGE);
    const data = [];
    for (let i = from; i < to; i++) {
      data.push({
        id: i,
        ts: '2026-01-01T00:00:00.000Z',
        level: 'info',
        host: 'web-1',
        msg: BODY.slice(0, 90),
      });
    }
    pages.set(from, Buffer.from(JSON.stringify({ data, next: String(to) })));
  }
  const server = createServer((req, res) => {
    const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
    const body = pages.get(after) ?? pages.get(total)!;
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      .end(body);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  });
}

/** Wall seconds and CPU seconds of `run`. */
async function timed(run: () => Promise<unknown>): Promise<Took> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

/** What a hand-written poller would do: keep-alive (as HttpPoller), parse, count, follow the cursor. */
async function bareLoop(url: string, total: number): Promise<void> {
  // Without an agent node-fetch sends "Connection: close": one TCP connection per page.
  const agent = new Agent({ keepAlive: true });
  let cursor = '0';
  let seen = 0;
  for (;;) {
    const res = await fetch(`${url}?after=${cursor}`, { agent });
    const body = (await res.json()) as { data: unknown[]; next: string };
    for (const it of body.data) if (it !== undefined) seen++;
    if (body.data.length === 0 || seen >= total) break;
    cursor = body.next;
  }
  agent.destroy();
}

async function http(total: number): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, self, 'serve', String(total)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim())),
  );
  const url = `http://127.0.0.1:${port}/events`;
  const dir = await mkdtemp(join(tmpdir(), 'logpath-fetcher-bench-'));
  const poller = (name: string) => ({
    class: HttpPoller,
    persistName: name,
    options: { url, items: 'data', interval: 60_000, cursor: { param: 'after', path: 'next' } },
  });
  try {
    // Warm both up, then measure each three times, alternating, and keep the best run of each (the machine may be busy).
    await bareLoop(url, 20 * PAGE);
    await timePipeline(poller('warm'), 20 * PAGE, dir);
    let bare: Took = { wall: Infinity, cpu: Infinity };
    let polled: Took = { wall: Infinity, cpu: Infinity };
    const better = (a: Took, b: Took): Took => (b.wall < a.wall ? b : a);
    for (let i = 0; i < 3; i++) {
      bare = better(bare, await timed(() => bareLoop(url, total)));
      polled = better(polled, await timePipeline(poller(`run${i}`), total, dir));
    }
    const b = line('http-bare', total, bare.wall, { cpuMsPer1000: perK(bare.cpu, total) });
    line('http-poller', total, polled.wall, {
      cpuMsPer1000: perK(polled.cpu, total),
      ratio: Number((total / polled.wall / b.perSecond).toFixed(3)),
      cpuRatio: Number((bare.cpu / polled.cpu).toFixed(3)),
      goal: 0.9,
    });
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2] ?? 'all';
const count = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
if (mode === 'serve') serve(count!);
else {
  if (mode === 'memory-1' || mode === 'all') await memory(1, count ?? 1_000_000);
  if (mode === 'memory-1000' || mode === 'all') await memory(1000, count ?? 5_000_000);
  if (mode === 'http' || mode === 'all') await http(count ?? 500_000);
}
