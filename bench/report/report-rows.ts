/**
 * Turns a {@link BenchRun} into the rows of the report: each logpath figure
 * paired with the bare-library figure of the same run, its ratio and goal.
 */
import { axoSyslogFigureFor, type AxoSyslogFigure } from './axosyslog-figures.js';
import type { BenchLine, BenchRun } from './bench-run.js';

/** One logpath measurement of the report. */
export interface ReportRow {
  /** `label` of the scenario, plus the line's own name when the script printed several. */
  name: string;
  /** logpath's messages/s. */
  perSecond: number;
  peakRssMiB: number;
  /** The bare-library baseline measured in the same script run, when there is one. */
  bare?: { name: string; perSecond: number };
  /** logpath / bare, as the script computed it. */
  ratio?: number;
  /** The goal: a ratio to the bare library, or messages/s when there is no baseline. */
  goal?: { kind: 'ratio' | 'rate'; value: number };
  /** Whether the goal was met in this run. */
  met?: boolean;
  /** AxoSyslog's published figure for the same kind of work, when there is one. */
  axosyslog?: AxoSyslogFigure;
}

/** A bare-library run that no logpath row uses as its baseline (shown for reference). */
export interface ReferenceRow {
  name: string;
  perSecond: number;
  peakRssMiB: number;
  /** Its ratio to the script's plain baseline, when the script measured one. */
  ratio?: { value: number; of: string };
}

/** Everything the writers show. */
export interface ReportRows {
  rows: ReportRow[];
  references: ReferenceRow[];
  /** Scenarios that failed: label and reason. */
  failures: { label: string; error: string }[];
}

/** A line is a baseline when its name says it measures the bare library. */
export function isBareLine(line: BenchLine): boolean {
  return /bare/i.test(line.scenario);
}

/**
 * The baseline of a compared line: the bare line it names, or else the bare
 * line of the same script whose throughput best explains the line's ratio
 * (scripts may print several bare variants, e.g. "bare ws" and "bare ws +
 * JSON.parse").
 */
function baselineOf(line: BenchLine, bares: readonly BenchLine[]): BenchLine | undefined {
  if (line.ratio === undefined || line.ratio <= 0 || bares.length === 0) return undefined;
  if (line.baseline !== undefined) return bares.find((b) => b.scenario === line.baseline);
  const expected = line.perSecond / line.ratio;
  let best: BenchLine | undefined;
  for (const b of bares) {
    if (
      best === undefined ||
      Math.abs(b.perSecond - expected) < Math.abs(best.perSecond - expected)
    )
      best = b;
  }
  return best;
}

/**
 * Pairs every logpath line with its baseline. Per script: lines whose name
 * contains "bare" are baselines; a line with a `ratio` is compared with the
 * baseline its ratio points at; other lines stand alone, with the scenario's
 * absolute goal when the script printed only that line. Baselines no row
 * uses become reference rows.
 */
export function toReportRows(run: BenchRun): ReportRows {
  const rows: ReportRow[] = [];
  const references: ReferenceRow[] = [];
  const failures: { label: string; error: string }[] = [];
  for (const s of run.scenarios) {
    if (s.error !== undefined) failures.push({ label: s.label, error: s.error });
    const multi = s.lines.length > 1;
    const nameOf = (l: BenchLine): string => (multi ? `${s.label}: ${l.scenario}` : s.label);
    const bares = s.lines.filter(isBareLine);
    const used = new Set<BenchLine>();
    for (const line of s.lines) {
      if (isBareLine(line)) continue;
      const row: ReportRow = {
        name: nameOf(line),
        perSecond: line.perSecond,
        peakRssMiB: line.peakRssMiB,
      };
      const base = baselineOf(line, bares);
      if (base !== undefined) {
        used.add(base);
        row.bare = { name: base.scenario, perSecond: base.perSecond };
        row.ratio = line.ratio;
      }
      if (line.goal !== undefined && line.ratio !== undefined) {
        row.goal = { kind: 'ratio', value: line.goal };
        row.met = line.ratio >= line.goal;
      } else if (!multi && s.goal !== undefined) {
        row.goal = { kind: 'rate', value: s.goal };
        row.met = line.perSecond >= s.goal;
      }
      const axo = axoSyslogFigureFor(row.name);
      if (axo !== undefined) row.axosyslog = axo;
      rows.push(row);
    }
    for (const b of bares) {
      if (used.has(b)) continue;
      const ref: ReferenceRow = {
        name: nameOf(b),
        perSecond: b.perSecond,
        peakRssMiB: b.peakRssMiB,
      };
      if (b.ratio !== undefined && b.baseline !== undefined)
        ref.ratio = { value: b.ratio, of: b.baseline };
      references.push(ref);
    }
  }
  return { rows, references, failures };
}

/** `1234567` → `1.23M`, `98765` → `98.8k`: short labels for the chart. */
export function shortRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return String(Math.round(n));
}

/** `1234567` → `1,234,567`. */
export function fullRate(n: number): string {
  return Math.round(n).toLocaleString('en');
}
