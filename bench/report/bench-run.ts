/**
 * The data of one `npm run bench`: what each scenario script printed, and the
 * machine it ran on. Everything in the report is derived from this.
 */

/**
 * One JSON line a scenario script prints: a measured run. Scripts may add
 * fields (CPU per message, request rates); the report reads only these.
 */
export interface BenchLine {
  /** Name of the run within its script, e.g. `http-json-bare`, `consume-source`. */
  scenario: string;
  messages: number;
  seconds: number;
  /** Messages per second. */
  perSecond: number;
  peakRssMiB: number;
  /**
   * On a line compared with a bare-library baseline: its throughput / the
   * baseline's. A bare line may carry one too (a reference: a bare server
   * doing part of the logpath line's work, compared with the plain one).
   */
  ratio?: number;
  /** The `scenario` of the bare line that `ratio` compares with, when the script names it. */
  baseline?: string;
  /** The goal for `ratio` (e.g. 0.9: at least 90 % of the bare library). */
  goal?: number;
  [extra: string]: unknown;
}

/** One scenario script as run.ts ran it. */
export interface ScenarioRun {
  /** Label of the scenario in run.ts, e.g. `fetcher: HTTP`. */
  label: string;
  /** Absolute goal in messages/s for a scenario with one line and no baseline. */
  goal?: number;
  /** The lines it printed, in order. */
  lines: BenchLine[];
  /** Why it failed (non-zero exit, no JSON line), when it did. */
  error?: string;
}

/** Facts about the machine and the run, printed beside the figures. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  /** `process.version`. */
  node: string;
  /** `os.platform()`/`os.arch()`, e.g. `linux/x64`. */
  platform: string;
  /** 1, 5 and 15 minute load averages at the start and at the end of the run. */
  loadStart: readonly number[];
  loadEnd: readonly number[];
  /** ISO time the run started. */
  date: string;
  /** Wall-clock length of the whole run, in seconds. */
  durationSeconds: number;
}

/** A whole run: the input of the report writers. */
export interface BenchRun {
  machine: MachineFacts;
  scenarios: ScenarioRun[];
}

function isBenchLine(v: unknown): v is BenchLine {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.scenario === 'string' &&
    typeof o.perSecond === 'number' &&
    typeof o.messages === 'number' &&
    typeof o.seconds === 'number' &&
    typeof o.peakRssMiB === 'number'
  );
}

/**
 * The result lines of a scenario script's stdout: every line that starts
 * with `{` and parses as a {@link BenchLine}; other output is ignored.
 * @throws Error naming the line when a `{` line is not valid JSON or lacks a
 *   required field (a script whose format changed must not pass silently).
 */
export function parseBenchOutput(stdout: string): BenchLine[] {
  const lines: BenchLine[] = [];
  for (const text of stdout.split('\n')) {
    const line = text.trim();
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON result line: ${line.slice(0, 120)}`);
    }
    if (!isBenchLine(value)) {
      throw new Error(
        `result line lacks scenario, messages, seconds, perSecond or peakRssMiB: ${line.slice(0, 120)}`,
      );
    }
    lines.push(value);
  }
  return lines;
}
