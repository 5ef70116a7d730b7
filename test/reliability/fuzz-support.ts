/**
 * Shared settings of the property-based reliability tests.
 *
 * Every property runs with a fixed seed, so CI is deterministic and a failure
 * is reproducible: fast-check prints `{ seed, path }` in the failure message;
 * put both into the property's `regression` list (or pass them to
 * `fc.assert`) to replay exactly that counterexample.
 *
 * Two environment variables widen the search without editing the tests:
 * - `LOGPATH_FC_SEED`: replaces every fixed seed (e.g. `$RANDOM` in a loop);
 * - `LOGPATH_FC_RUNS`: multiplies every `numRuns` (e.g. 20 for a nightly run).
 */
import type fc from 'fast-check';

const envSeed = process.env.LOGPATH_FC_SEED;
const envRuns = Number(process.env.LOGPATH_FC_RUNS ?? '1');
const RUN_FACTOR = Number.isFinite(envRuns) && envRuns > 0 ? envRuns : 1;

/**
 * `fc.assert` parameters: the property's own seed (or `LOGPATH_FC_SEED`) and
 * `numRuns` scaled by `LOGPATH_FC_RUNS`.
 */
export function fuzzParams<T>(seed: number, numRuns: number): fc.Parameters<T> {
  const s = envSeed === undefined ? seed : Number(envSeed) | 0;
  return { seed: s, numRuns: Math.max(1, Math.round(numRuns * RUN_FACTOR)) };
}

/** Wall time of `fn` in milliseconds, and its result. */
export function timed<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

/**
 * Runs `fn` and returns its result and its time; when that time reaches
 * `limitMs`, runs it up to twice more and reports the fastest run. A slow
 * input is slow every time; a GC pause or a busy machine is not, so the
 * limit can be tight without making the test flaky.
 */
export function timedBest<T>(fn: () => T, limitMs: number): [T, number] {
  const first = timed(fn);
  let best = first[1];
  for (let k = 0; k < 2 && best >= limitMs; k++) best = Math.min(best, timed(fn)[1]);
  return [first[0], best];
}

/**
 * Per-call time limit for small inputs. Far above what a linear parser needs
 * (microseconds), far below a hang; generous because a major GC or another
 * worker can pause a CI machine for a few hundred milliseconds.
 */
export const SMALL_INPUT_LIMIT_MS = 1000;

/** Time limit for one call on a line of `chars` UTF-16 units: 2 s per MiB, at least 1 s. */
export function largeInputLimitMs(chars: number): number {
  return Math.max(SMALL_INPUT_LIMIT_MS, (chars / (1 << 20)) * 2000);
}

interface Snapshot {
  readonly target: object;
  readonly label: string;
  readonly props: Map<string | symbol, PropertyDescriptor>;
}

const WATCHED: [object, string][] = [
  [Object.prototype, 'Object.prototype'],
  [Array.prototype, 'Array.prototype'],
  [Function.prototype, 'Function.prototype'],
  [String.prototype, 'String.prototype'],
  [Map.prototype, 'Map.prototype'],
];

/** Records every own property (and its descriptor) of the built-in prototypes. */
export function snapshotPrototypes(): Snapshot[] {
  return WATCHED.map(([target, label]) => {
    const props = new Map<string | symbol, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(target)) {
      props.set(key, Object.getOwnPropertyDescriptor(target, key)!);
    }
    return { target, label, props };
  });
}

/**
 * What changed on the built-in prototypes since `before`: added, removed or
 * replaced properties, one sentence each (empty when nothing did).
 */
export function prototypeChanges(before: Snapshot[]): string[] {
  const changes: string[] = [];
  for (const { target, label, props } of before) {
    const now = Reflect.ownKeys(target);
    for (const key of now) {
      const was = props.get(key);
      const d = Object.getOwnPropertyDescriptor(target, key)!;
      if (was === undefined) changes.push(`${label}.${String(key)} was added`);
      else if (was.value !== d.value || was.get !== d.get || was.set !== d.set) {
        changes.push(`${label}.${String(key)} was replaced`);
      }
    }
    for (const key of props.keys()) {
      if (!now.includes(key)) changes.push(`${label}.${String(key)} was removed`);
    }
  }
  if (Object.getPrototypeOf({}) !== Object.prototype) changes.push('{} has a new prototype');
  return changes;
}

/** Counts of `process.getActiveResourcesInfo()` by resource type. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resource types of which `after` holds more than `before`, e.g. `["Timeout +1"]`. */
export function leakedResources(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [type, n] of after) {
    const was = before.get(type) ?? 0;
    if (n > was) out.push(`${type} +${n - was}`);
  }
  return out;
}

/**
 * Resource types still above `before` once things settle: polled for up to
 * `graceMs`, because a closed handle leaves the list only after the event
 * loop has run, and the test runner itself schedules the odd Immediate. A
 * leaked server, socket, file handle or pending timer (longer than the grace
 * time) stays and is reported.
 */
export async function leaksAfterSettling(
  before: Map<string, number>,
  graceMs = 250,
): Promise<string[]> {
  const until = Date.now() + graceMs;
  for (;;) {
    await new Promise((r) => setImmediate(r));
    const leaked = leakedResources(before, activeResources());
    if (leaked.length === 0 || Date.now() >= until) return leaked;
    await new Promise((r) => setTimeout(r, 5));
  }
}
