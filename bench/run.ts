/**
 * `npm run bench`: runs every benchmark scenario in its own process and
 * prints a table. Figures are measured in this run, never hard-coded.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Result {
  scenario: string;
  messages: number;
  seconds: number;
  perSecond: number;
  peakRssMiB: number;
  /** Scenarios that compare against a baseline: this row's throughput / the baseline's, and the goal. */
  ratio?: number;
  goal?: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv[2];
const scenarios: { file: string; args: string[]; label: string; goal?: number }[] = [
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
  { file: 'packages/adapter-ws/bench/ws-bench.ts', args: [], label: 'ws' },
  // Prints one JSON line per server: bare Express 5, (NDJSON) bare + JSON.parse, HttpSource with its ratio to bare.
  {
    file: 'packages/adapter-http/bench/http-bench.ts',
    args: ['--json', '--no-build'],
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

const rows: string[] = [];
for (const s of scenarios) {
  if (only && !s.label.includes(only)) continue;
  const out = execFileSync(process.execPath, ['--import', 'tsx', s.file, ...s.args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A scenario prints one JSON line per run it measured; each becomes a row.
  const results = out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Result);
  const multi = results.length > 1;
  for (const r of results) {
    const label = multi ? `${s.label}: ${r.scenario}` : s.label;
    const goal =
      r.ratio !== undefined
        ? ` ratio ${r.ratio}×${r.goal ? ` (goal ≥ ${r.goal}×)` : ''}`
        : !multi && s.goal
          ? ` (goal ≥ ${s.goal.toLocaleString('en')})`
          : '';
    rows.push(
      `${label.padEnd(36)} ${r.perSecond.toLocaleString('en').padStart(12)} msg/s  ${String(r.peakRssMiB).padStart(5)} MiB peak RSS  ${r.messages.toLocaleString('en')} msgs${goal}`,
    );
    console.log(rows.at(-1));
  }
}
