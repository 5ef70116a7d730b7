/**
 * WebSocket ingest benchmark, in one run: a ws client (in its own process, so
 * the server's CPU time is its own) sends 1,000,000 messages as single-message
 * text frames, then as 100-line NDJSON frames, to
 *   - a bare `ws` server that counts messages (NDJSON: splits each frame into lines),
 *   - WebSocketSource → NullDestination (format `text`, then `ndjson`), and
 *   - for reference (NDJSON), bare servers that also check each frame's lines
 *     the way the source does (LogMessage.fromJsonLines, nothing posted), or
 *     JSON.parse each line.
 * Prints one JSON line per server (messages/s, server CPU µs per message, peak
 * RSS; the source's and the references' lines carry their ratios to bare ws),
 * then a summary on stderr.
 * Figures are measured, never hard-coded.
 * Usage: [WS_BENCH_ROUNDS=n] node --import tsx packages/adapter-ws/bench/ws-bench.ts [messages] [single|ndjson]
 */
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { LogMessage, NullDestination, Pipeline, defineConfig, jsonFieldsFill } from '@logpath/core';
import { WebSocketServer } from 'ws';
import { WebSocketSource } from '../src/index.js';

type Mode = 'single' | 'ndjson';
/** What a bare server does with an NDJSON frame besides counting its lines. */
type BareWork = 'count' | 'check' | 'parse';
const BARE_NAMES: Record<BareWork, string> = {
  count: 'bare ws',
  // The JSON check and the (lazy) messages of WebSocketSource, without a pipeline: what
  // any source that refuses malformed frames pays on top of ws, before posting anything.
  check: 'bare ws + LogMessage.fromJsonLines',
  parse: 'bare+JSON.parse',
};
const FILL = jsonFieldsFill('MESSAGE');
const LINES_PER_FRAME = 100;
const BODY =
  'GET /api/v1/items?id=12345 HTTP/1.1 200 1532 "-" "Mozilla/5.0 (X11; Linux x86_64)" ' +
  'x'.repeat(60);

interface ClientJob {
  url: string;
  mode: Mode;
  messages: number;
}

/**
 * The client, as plain JavaScript in its own process, so that the server's
 * CPU time (process.cpuUsage) is the server's alone. It sends as fast as the
 * socket drains, never buffering more than a few MiB, then closes (the close
 * frame follows the data).
 */
const CLIENT = `
const { WebSocket } = require(process.env.WS_MODULE);
const job = JSON.parse(process.env.WS_JOB);
(async () => {
  const ws = new WebSocket(job.url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const line = JSON.stringify({ message: job.body, level: 'info', service: 'bench' });
  const frame = job.mode === 'single' ? Buffer.from(job.body) : Buffer.from(Array.from({ length: job.lines }, () => line).join('\\n'));
  const frames = job.mode === 'single' ? job.messages : Math.ceil(job.messages / job.lines);
  const opts = { binary: false };
  const chunk = job.mode === 'single' ? 2000 : 50;
  for (let sent = 0; sent < frames; ) {
    const n = Math.min(chunk, frames - sent);
    for (let i = 0; i < n - 1; i++) ws.send(frame, opts);
    await new Promise((resolve, reject) => ws.send(frame, opts, (err) => (err ? reject(err) : resolve())));
    sent += n;
    if (ws.bufferedAmount > 4 << 20) await new Promise((r) => setImmediate(r));
  }
  ws.close();
  ws.once('close', () => {
    // The client's CPU for the whole run (sending), so a reader can tell who was the bottleneck.
    const c = process.cpuUsage();
    process.stdout.write(JSON.stringify({ clientCpuMicros: c.user + c.system }));
  });
})().catch((err) => { console.error(err); process.exit(1); });
`;

interface Client {
  /** Resolves with the client's CPU time in µs once it has sent everything and exited. */
  readonly done: Promise<number>;
}

function runClient(job: ClientJob): Client {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      WS_MODULE: createRequire(import.meta.url).resolve('ws'),
      WS_JOB: JSON.stringify({ ...job, body: BODY, lines: LINES_PER_FRAME }),
    },
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      if (code !== 0) {
        console.error(`the client exited with ${code}`);
        process.exit(1);
      }
      resolve((JSON.parse(out) as { clientCpuMicros: number }).clientCpuMicros);
    });
  });
  return { done };
}

function frames(mode: Mode): string {
  return mode === 'single' ? '1-msg frames' : `NDJSON×${LINES_PER_FRAME}`;
}

interface Result {
  scenario: string;
  messages: number;
  seconds: number;
  perSecond: number;
  /** Server CPU time (user + system) per message: independent of how busy the machine is. */
  cpuMicrosPerMessage: number;
  /** The client's CPU time per message: when it exceeds the server's, the client is the bottleneck. */
  clientCpuMicrosPerMessage: number;
  peakRssMiB: number;
}

function result(
  scenario: string,
  messages: number,
  ms: number,
  cpu: NodeJS.CpuUsage,
  clientCpu: number,
): Result {
  return {
    scenario,
    messages,
    seconds: Number((ms / 1000).toFixed(3)),
    perSecond: Math.round(messages / (ms / 1000)),
    cpuMicrosPerMessage: Number(((cpu.user + cpu.system) / messages).toFixed(3)),
    clientCpuMicrosPerMessage: Number((clientCpu / messages).toFixed(3)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/**
 * A bare ws server that counts messages: frames, or the lines of NDJSON frames
 * (with `check`, it makes the checked messages of each frame as the source does;
 * with `parse`, it JSON.parses each line: the cost any NDJSON consumer pays).
 */
async function bare(mode: Mode, messages: number, work: BareWork = 'count'): Promise<Result> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1 << 20 });
  await new Promise((r) => wss.once('listening', r));
  let count = 0;
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  const done = new Promise<number>((resolve) => {
    wss.on('connection', (ws) => {
      ws.on('message', (data: Buffer) => {
        if (t0 === 0) {
          t0 = performance.now();
          cpu0 = process.cpuUsage();
        }
        if (mode === 'single') {
          count++;
        } else if (work === 'check') {
          // Decoded as the source decodes text frames: ASCII as Latin-1 (a plain copy).
          const text = isAscii(data) ? data.toString('latin1') : data.toString('utf8');
          count += LogMessage.fromJsonLines(text, FILL, undefined, 1).length;
        } else {
          const lines = data.toString().split('\n');
          for (let i = 0; i < lines.length; i++) {
            const l = lines[i]!;
            if (l.length > 0 && (work !== 'parse' || JSON.parse(l) !== undefined)) count++;
          }
        }
        if (count >= messages) resolve(performance.now());
      });
    });
  });
  const port = (wss.address() as { port: number }).port;
  const w = runClient({ url: `ws://127.0.0.1:${port}/`, mode, messages });
  const t1 = await done;
  const cpu = process.cpuUsage(cpu0);
  const clientCpu = await w.done;
  await new Promise((r) => wss.close(r));
  return result(`${BARE_NAMES[work]}, ${frames(mode)}`, messages, t1 - t0, cpu, clientCpu);
}

/** WebSocketSource → NullDestination, with default driver options (a window of 1000 messages, batches of 100). */
async function source(mode: Mode, messages: number): Promise<Result> {
  let t0 = 0;
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        ws: {
          class: WebSocketSource,
          options: {
            port: 0,
            host: '127.0.0.1',
            format: mode === 'single' ? 'text' : 'ndjson',
            pingInterval: 0,
          },
        },
      },
      destinations: { out: { class: NullDestination } },
      logPaths: [{ sources: ['ws'], destinations: ['out'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const src = pipeline.component('ws') as WebSocketSource;
  const out = pipeline.component('out') as NullDestination;
  const port = await src.whenListening();
  const w = runClient({ url: `ws://127.0.0.1:${port}/`, mode, messages });
  while (out.count === 0) await new Promise((r) => setTimeout(r, 1));
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (out.count < messages) await new Promise((r) => setTimeout(r, 2));
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const clientCpu = await w.done;
  await pipeline.stop();
  return result(`WebSocketSource, ${frames(mode)}`, messages, t1 - t0, cpu, clientCpu);
}

/** The middle value (the lower one of the two for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

/**
 * One server over its runs: the run with the median messages/s, and the median
 * CPU per message. Not the best run: a burst of other work on the machine can
 * spoil either server's runs, and the best of each may then compare a quiet
 * moment with a busy one.
 */
function middle(runs: Result[]): Result {
  const mid = median(runs.map((r) => r.perSecond));
  return {
    ...runs.find((r) => r.perSecond === mid)!,
    cpuMicrosPerMessage: median(runs.map((r) => r.cpuMicrosPerMessage)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** The median over the rounds of `f(a) / f(b)`: each round's two runs follow each other. */
function pairedRatio(a: Result[], b: Result[], f: (r: Result) => number): number {
  return Number(median(a.map((r, i) => f(r) / f(b[i]!))).toFixed(3));
}

const rate = (r: Result): number => r.perSecond;
const cpuCost = (r: Result): number => 1 / r.cpuMicrosPerMessage;

{
  const messages = Number(process.argv[2] ?? 1_000_000);
  const only = process.argv[3] as Mode | undefined;
  // On a busy machine, WS_BENCH_ROUNDS=5 alternates the servers 5 times and reports medians.
  const rounds = Math.max(1, Number(process.env.WS_BENCH_ROUNDS ?? 1));
  const goals: Record<Mode, number> = { single: 0.85, ndjson: 0.9 };
  const summary: string[] = [];
  for (const mode of ['single', 'ndjson'] as const) {
    if (only !== undefined && mode !== only) continue;
    type Server = BareWork | 'source';
    const runs: Record<Server, Result[]> = { count: [], check: [], parse: [], source: [] };
    // Every other round runs the servers in reverse order, so that none always follows the same one.
    const order: Server[] = ['count', 'source'];
    // For reference: bare servers that do part of the source's work, or what any NDJSON consumer must.
    if (mode === 'ndjson') order.push('check', 'parse');
    const run = (k: Server): Promise<Result> =>
      k === 'source' ? source(mode, messages) : bare(mode, messages, k);
    for (let i = 0; i < rounds; i++) {
      for (const k of i % 2 === 0 ? order : [...order].reverse()) runs[k].push(await run(k));
    }
    const base = middle(runs.count);
    console.log(JSON.stringify(base));
    const ratio = pairedRatio(runs.source, runs.count, rate);
    const cpuRatio = pairedRatio(runs.source, runs.count, cpuCost);
    console.log(
      JSON.stringify({
        ...middle(runs.source),
        ratio,
        cpuRatio,
        goal: goals[mode],
        baseline: base.scenario,
      }),
    );
    summary.push(
      `${mode}: ${ratio}× bare ws in messages/s, ${cpuRatio}× in server CPU per message (goal ≥ ${goals[mode]}×)`,
    );
    if (mode === 'ndjson') {
      for (const k of ['check', 'parse'] as const) {
        const r = pairedRatio(runs[k], runs.count, rate);
        const c = pairedRatio(runs[k], runs.count, cpuCost);
        console.log(
          JSON.stringify({ ...middle(runs[k]), ratio: r, cpuRatio: c, baseline: base.scenario }),
        );
        summary.push(
          `ndjson, ${BARE_NAMES[k]}: ${r}× bare ws in messages/s, ${c}× in server CPU per message`,
        );
      }
    }
  }
  console.error(`${summary.join('\n')}${rounds > 1 ? `\n(medians of ${rounds} rounds)` : ''}`);
}
