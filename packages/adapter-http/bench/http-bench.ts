/**
 * HttpSource → NullDestination against a bare Express 5 handler that reads
 * and splits the same body, driven by autocannon (50 connections): single-line
 * JSON requests and 100-line NDJSON requests. Each server runs in its own
 * child process, so the load generator never shares its event loop; the two
 * take turns under load. Server CPU time per request is reported too: on a
 * shared machine it is steadier than throughput.
 *
 * The servers run the compiled packages (dist/), as in production: the bench
 * builds @logpath/core and @logpath/adapter-http first unless `--no-build`.
 *
 * Usage: tsx packages/adapter-http/bench/http-bench.ts [--duration=10] [--connections=50] [--json]
 *   [--only=json|ndjson] [--profile=/tmp/http] [--no-build]
 * `--json` prints one JSON line per measurement, for bench/run.ts; `--profile`
 * writes a CPU profile of each server's measured run (<prefix>-<payload>-<server>.cpuprofile).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

type Kind = 'bare' | 'bare-parse' | 'logpath';
const LABELS: Record<Kind, string> = {
  bare: 'bare Express 5',
  'bare-parse': 'bare + JSON.parse',
  logpath: 'logpath HttpSource',
};
interface ServerStats {
  messages: number;
  cpuMs: number;
  peakRssMiB: number;
}
interface Measurement {
  server: Kind;
  payload: 'json' | 'ndjson';
  requestsPerSecond: number;
  messagesPerSecond: number;
  non2xx: number;
  errors: number;
  serverMessages: number;
  /** Server CPU time per request, in µs: steadier than throughput on a busy machine. */
  cpuPerRequestUs: number;
  peakRssMiB: number;
  seconds: number;
}

/** The issue's goal: HttpSource at ≥ 0.9× the throughput of bare Express. */
const GOAL = 0.9;

const LINE = JSON.stringify({
  message: 'GET /api/v1/items?id=12345 HTTP/1.1 200 1532 "-" "Mozilla/5.0 (X11; Linux x86_64)"',
  level: 'info',
  service: 'web',
  host: 'web-1',
  latency_ms: 12.5,
});
const PAYLOADS = {
  json: { body: LINE, lines: 1, type: 'application/json' },
  ndjson: {
    body: `${Array.from({ length: 100 }, () => LINE).join('\n')}\n`,
    lines: 100,
    type: 'application/x-ndjson',
  },
} as const;

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'] as const;
  }),
);
const duration = Number(args.get('duration') ?? 10);
const connections = Number(args.get('connections') ?? 50);
const asJson = args.has('json');
const only = args.get('only');
const profile = args.get('profile');
const serverScript = fileURLToPath(new URL('./http-bench-server.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

if (!args.has('no-build')) {
  for (const pkg of ['core', 'adapter-http']) {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', `packages/${pkg}/tsconfig.build.json`], {
      cwd: root,
      stdio: 'inherit',
    });
  }
}

function startServer(kind: Kind, payload: string): Promise<{ child: ChildProcess; port: number }> {
  const env = profile
    ? { ...process.env, HTTP_BENCH_PROFILE: `${profile}-${payload}` }
    : process.env;
  const child = fork(serverScript, [kind], {
    env,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });
}

async function load(
  port: number,
  payload: keyof typeof PAYLOADS,
  seconds: number,
): Promise<autocannon.Result> {
  const p = PAYLOADS[payload];
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': p.type },
    body: p.body,
  });
}

/**
 * The servers run side by side and take turns under load, in slices of
 * about 2 s, so that a change in the machine's load hits all of them alike.
 */
async function compare(
  payload: keyof typeof PAYLOADS,
  kinds: readonly Kind[],
): Promise<Measurement[]> {
  const servers = new Map<Kind, { child: ChildProcess; port: number }>();
  for (const k of kinds) servers.set(k, await startServer(k, payload));
  for (const k of kinds) await load(servers.get(k)!.port, payload, 2); // warm-up: JIT and connections
  for (const k of kinds) await ask(servers.get(k)!.child, 'reset');
  const acc = new Map(kinds.map((k) => [k, { ok: 0, non2xx: 0, errors: 0, seconds: 0 }]));
  const slices = Math.max(1, Math.round(duration / 2));
  for (let i = 0; i < slices; i++) {
    for (const k of i % 2 === 0 ? kinds : [...kinds].reverse()) {
      const r = await load(servers.get(k)!.port, payload, duration / slices);
      const a = acc.get(k)!;
      a.ok += r['2xx'];
      a.non2xx += r.non2xx;
      a.errors += r.errors;
      a.seconds += r.duration;
    }
  }
  const out: Measurement[] = [];
  for (const k of kinds) {
    const stats = await ask<ServerStats>(servers.get(k)!.child, 'stop');
    const a = acc.get(k)!;
    out.push({
      server: k,
      payload,
      requestsPerSecond: Math.round(a.ok / a.seconds),
      messagesPerSecond: Math.round((a.ok * PAYLOADS[payload].lines) / a.seconds),
      non2xx: a.non2xx,
      errors: a.errors,
      serverMessages: stats.messages,
      cpuPerRequestUs: Math.round((stats.cpuMs * 1000) / Math.max(1, a.ok + a.non2xx)),
      peakRssMiB: stats.peakRssMiB,
      seconds: Number(a.seconds.toFixed(2)),
    });
  }
  return out;
}

function report(rows: Measurement[]): void {
  const bare = rows.find((r) => r.server === 'bare')!;
  for (const r of rows) {
    const ratio = Number((r.requestsPerSecond / bare.requestsPerSecond).toFixed(3));
    const cpuRatio = Number((bare.cpuPerRequestUs / r.cpuPerRequestUs).toFixed(3));
    const compared = r.server !== 'bare';
    if (asJson) {
      console.log(
        JSON.stringify({
          scenario: `http-${r.payload}-${r.server}`,
          messages: Math.round(r.messagesPerSecond * r.seconds),
          seconds: r.seconds,
          perSecond: r.messagesPerSecond,
          peakRssMiB: r.peakRssMiB,
          requestsPerSecond: r.requestsPerSecond,
          non2xx: r.non2xx,
          cpuPerRequestUs: r.cpuPerRequestUs,
          ratio: compared ? ratio : undefined,
          goal: r.server === 'logpath' ? GOAL : undefined,
          cpuRatio: compared ? cpuRatio : undefined,
        }),
      );
      continue;
    }
    console.log(
      `${`${r.payload} ${LABELS[r.server]}`.padEnd(28)}` +
        `${r.requestsPerSecond.toLocaleString('en').padStart(9)} req/s ${r.messagesPerSecond.toLocaleString('en').padStart(11)} msg/s` +
        `  ${String(r.cpuPerRequestUs).padStart(5)} µs CPU/req  non-2xx ${r.non2xx}  errors ${r.errors}` +
        `  server counted ${r.serverMessages.toLocaleString('en')}  peak RSS ${r.peakRssMiB} MiB` +
        (compared ? `  ${ratio}× bare (by CPU cost ${cpuRatio}×)` : '') +
        (r.server === 'logpath' ? ` goal ≥ ${GOAL}×` : ''),
    );
  }
}

const plan: [keyof typeof PAYLOADS, Kind[]][] = [
  ['json', ['bare', 'logpath']],
  ['ndjson', ['bare', 'bare-parse', 'logpath']],
];
for (const [payload, kinds] of plan) {
  if (only === undefined || only === payload) report(await compare(payload, kinds));
}
