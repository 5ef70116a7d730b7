/**
 * Result files of the reliability scenarios: one JSON file per scenario in
 * `test/reliability/results/`, overwritten by each run, from which
 * `scripts/reliability-report.ts` builds the table in `docs/reliability.md`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The directory of the result files. */
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * One scenario's figures: the columns of the report table, plus optional
 * details shown under it. Counts are messages; `lost` is the goal column
 * (0 everywhere).
 */
export interface ReliabilityResult {
  /** Short kebab-case name; also the file name (`<scenario>.json`). */
  scenario: string;
  /** What was offered, e.g. "source offers 100000 msg/s (10× the destination) for 5 s". */
  load: string;
  /** The faults or hostile conditions injected, e.g. "none", "HTTP server stopped 20 s". */
  injected: string;
  /** Messages accepted from the sender (acknowledged, or posted by the source). */
  sent: number;
  /** Distinct accepted messages that arrived at the end. */
  delivered: number;
  /** Arrivals beyond the first of a message. */
  duplicated: number;
  /** Accepted messages that never arrived. */
  lost: number;
  /** Highest resident set size of the process under test, in MiB; null when not measured. */
  peakRssMiB: number | null;
  /** Optional details: throughput, bounds, environment (rendered as a list under the table). */
  details?: Record<string, string | number>;
}

/** Writes `results/<scenario>.json` (pretty-printed, newline-terminated). */
export async function writeResult(result: ReliabilityResult): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(result.scenario)) {
    throw new Error(`scenario must be kebab-case, got ${JSON.stringify(result.scenario)}`);
  }
  const file = `${RESULTS_DIR}${result.scenario}.json`;
  // Only a run meant to refresh docs/reliability.md writes: a plain test run leaves the tree clean.
  if (process.env.LOGPATH_WRITE_RESULTS !== '1') return file;
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
