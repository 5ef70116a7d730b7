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
}

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv[2];
const scenarios: { file: string; args: string[]; label: string; goal?: number }[] = [
  { file: 'bench/core/core-bench.ts', args: ['null'], label: 'core: source → NullDestination', goal: 1_000_000 },
  { file: 'bench/core/core-bench.ts', args: ['null-acks'], label: 'core: with InstantAckTracker' },
  { file: 'bench/core/core-bench.ts', args: ['file'], label: 'core: source → FileDestination', goal: 400_000 },
];

const rows: string[] = [];
for (const s of scenarios) {
  if (only && !s.label.includes(only)) continue;
  const out = execFileSync(process.execPath, ['--import', 'tsx', s.file, ...s.args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as Result;
  const goal = s.goal ? ` (goal ≥ ${s.goal.toLocaleString('en')})` : '';
  rows.push(
    `${s.label.padEnd(36)} ${r.perSecond.toLocaleString('en').padStart(12)} msg/s  ${String(r.peakRssMiB).padStart(5)} MiB peak RSS  ${r.messages.toLocaleString('en')} msgs${goal}`,
  );
  console.log(rows.at(-1));
}
