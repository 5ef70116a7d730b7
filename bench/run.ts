/**
 * `npm run bench`: runs every benchmark scenario in its own process, prints a
 * table, and (on a full run) writes docs/benchmarks.md, docs/benchmarks.svg
 * and docs/benchmarks.json. Figures are measured in this run, never hard-coded.
 *
 * - `npm run bench -- <filter>`: only the scenarios whose label contains
 *   `<filter>`; printed, never written to docs/ (the report is one run's).
 * - `npm run bench -- --report`: rewrites the .md and .svg from
 *   docs/benchmarks.json without measuring.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parseBenchOutput, type BenchRun, type ScenarioRun } from './report/bench-run.js';
import { renderMarkdown } from './report/render-markdown.js';
import { renderSvg } from './report/render-svg.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const reportOnly = args.includes('--report');
const only = args.find((a) => !a.startsWith('--'));
const DOCS = join(root, 'docs');
const scenarios: {
  file: string;
  args: string[];
  label: string;
  goal?: number;
  env?: Record<string, string>;
}[] = [
  {
    file: 'bench/core/core-bench.ts',
    args: ['null'],
    label: 'core: source → NullDestination',
    goal: 1_000_000,
  },
  { file: 'bench/core/core-bench.ts', args: ['null-acks'], label: 'core: with InstantAckTracker' },
  {
    file: 'bench/core/core-bench.ts',
    args: ['file'],
    label: 'core: source → FileDestination',
    goal: 400_000,
  },
  {
    file: 'bench/core/core-bench.ts',
    args: ['disk'],
    label: 'core: reliable disk buffer → Null',
    goal: 150_000,
  },
  // Prints one JSON line per run (bare ws and WebSocketSource, single-message and NDJSON frames).
  // A run of 1M messages lasts about a second: 5 rounds (in alternating order), and the
  // median of the rounds' ratios, even out the machine's bursts.
  {
    file: 'packages/adapter-ws/bench/ws-bench.ts',
    args: [],
    label: 'ws',
    env: { WS_BENCH_ROUNDS: '5' },
  },
  // Prints one JSON line per server: bare Express 5, (NDJSON) bare + JSON.parse, HttpSource with its ratio to bare.
  {
    file: 'packages/adapter-http/bench/http-bench.ts',
    // 20 s a server and payload, in 2 s turns: 10 turns each, against the machine's drift.
    args: ['--json', '--no-build', '--duration=20'],
    label: 'http',
  },
  {
    file: 'packages/fetcher/bench/fetcher-bench.ts',
    args: ['memory-1'],
    label: 'fetcher: 1 msg/fetch → Null',
    goal: 100_000,
  },
  {
    file: 'packages/fetcher/bench/fetcher-bench.ts',
    args: ['memory-1000'],
    label: 'fetcher: 1000 msgs/fetch → Null',
    goal: 500_000,
  },
  // Prints two JSON lines: the bare node-fetch loop, then HttpPoller with its ratio to it.
  { file: 'packages/fetcher/bench/fetcher-bench.ts', args: ['http'], label: 'fetcher: HTTP' },
  // Each prints two JSON lines, against a mock Kafka cluster it starts: the bare kafkajs
  // loop, then KafkaSource → Null (consume) or → KafkaDestination (produce) with its ratio to it.
  {
    file: 'packages/adapter-kafka/bench/kafka-bench.ts',
    args: ['consume'],
    label: 'kafka: 1M records',
  },
  {
    file: 'packages/adapter-kafka/bench/kafka-bench.ts',
    args: ['produce'],
    label: 'kafka: 500k records',
  },
];

/** Writes the report files of `run` into docs/. */
async function writeReport(run: BenchRun): Promise<void> {
  const jsonPath = join(DOCS, 'benchmarks.json');
  // Formatted as `prettier --check .` expects it.
  const json = await format(JSON.stringify(run), {
    ...(await resolveConfig(jsonPath)),
    filepath: jsonPath,
  });
  await writeFile(jsonPath, json);
  await writeFile(join(DOCS, 'benchmarks.md'), renderMarkdown(run));
  await writeFile(join(DOCS, 'benchmarks.svg'), renderSvg(run));
  console.log('wrote docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks.json');
}

function machineNow(): Pick<BenchRun['machine'], 'cpuModel' | 'cores' | 'node' | 'platform'> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    platform: `${platform()}/${arch()}`,
  };
}

const round2 = (l: number[]): number[] => l.map((n) => Number(n.toFixed(2)));

if (reportOnly) {
  const run = JSON.parse(await readFile(join(DOCS, 'benchmarks.json'), 'utf8')) as BenchRun;
  await writeReport(run);
} else {
  const started = new Date();
  const loadStart = round2(loadavg());
  const ran: ScenarioRun[] = [];
  for (const s of scenarios) {
    if (only && !s.label.includes(only)) continue;
    const result: ScenarioRun = { label: s.label, lines: [] };
    if (s.goal !== undefined) result.goal = s.goal;
    ran.push(result);
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', s.file, ...s.args], {
        cwd: root,
        env: { ...process.env, ...s.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 << 20,
      });
      // A scenario prints one JSON line per run it measured.
      result.lines = parseBenchOutput(out);
      if (result.lines.length === 0) result.error = 'printed no result line';
    } catch (err) {
      const e = err as Error & { status?: number | null };
      result.error =
        e.status !== undefined && e.status !== null
          ? `exited with code ${e.status}`
          : e.message.split('\n')[0]!;
    }
    if (result.error !== undefined) console.log(`${s.label.padEnd(36)} FAILED: ${result.error}`);
    const multi = result.lines.length > 1;
    for (const r of result.lines) {
      const label = multi ? `${s.label}: ${r.scenario}` : s.label;
      const goal =
        r.ratio !== undefined
          ? ` ratio ${r.ratio}×${r.goal ? ` (goal ≥ ${r.goal}×)` : ''}`
          : !multi && s.goal
            ? ` (goal ≥ ${s.goal.toLocaleString('en')})`
            : '';
      console.log(
        `${label.padEnd(36)} ${r.perSecond.toLocaleString('en').padStart(12)} msg/s  ${String(r.peakRssMiB).padStart(5)} MiB peak RSS  ${r.messages.toLocaleString('en')} msgs${goal}`,
      );
    }
  }
  const run: BenchRun = {
    machine: {
      ...machineNow(),
      loadStart,
      loadEnd: round2(loadavg()),
      date: started.toISOString(),
      durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    },
    scenarios: ran,
  };
  if (only === undefined) await writeReport(run);
  else console.log(`filtered run ("${only}"): docs/benchmarks.* left as they are`);
  if (ran.some((r) => r.error !== undefined)) process.exitCode = 1;
}
