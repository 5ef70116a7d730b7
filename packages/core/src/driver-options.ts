import { checkInt, checkMs, type Issues } from './option-checks.js';

/** Driver options of a destination, set beside `class` in the config. */
export interface DestinationDriverOptions {
  /** Attempts per batch on ERROR (and RETRY before it escalates). Default 3. */
  retries?: number;
  /** Wait before reopening or resending after a failure, in ms. Default 1000. */
  timeReopen?: number;
  /** Flush after this many QUEUED messages. Default 100. */
  batchLines?: number;
  /** Flush once the batch holds this many bytes (approximate). Default 1 MiB. */
  batchBytes?: number;
  /**
   * Longest time a QUEUED message waits for its batch to fill, in ms. With 0
   * (the default) the batch is flushed as soon as the queue runs empty.
   */
  batchTimeout?: number;
  /** Queue size in messages. Without flow control, messages beyond it are dropped (counted). Default 10000. */
  logFifoSize?: number;
}

/** Driver options of a source, set beside `class` in the config. */
export interface SourceDriverOptions {
  /** Window: messages posted but not yet acknowledged before `postMessage` returns false. Default 1000. */
  logIwSize?: number;
  /** Wait before restarting `run()` after it threw, in ms. Default 1000. */
  timeReopen?: number;
}

/** Defaults of {@link DestinationDriverOptions}. */
export const DEFAULT_DESTINATION_DRIVER_OPTIONS: Readonly<Required<DestinationDriverOptions>> =
  Object.freeze({
    retries: 3,
    timeReopen: 1000,
    batchLines: 100,
    batchBytes: 1 << 20,
    batchTimeout: 0,
    logFifoSize: 10_000,
  });

/** Defaults of {@link SourceDriverOptions}. */
export const DEFAULT_SOURCE_DRIVER_OPTIONS: Readonly<Required<SourceDriverOptions>> = Object.freeze(
  {
    logIwSize: 1000,
    timeReopen: 1000,
  },
);

/** @internal */
export const DESTINATION_DRIVER_KEYS = Object.keys(DEFAULT_DESTINATION_DRIVER_OPTIONS);
/** @internal */
export const SOURCE_DRIVER_KEYS = Object.keys(DEFAULT_SOURCE_DRIVER_OPTIONS);

/** @internal */
export function resolveDestinationDriverOptions(
  where: string,
  input: DestinationDriverOptions,
  issues: Issues,
): Required<DestinationDriverOptions> {
  const o = { ...DEFAULT_DESTINATION_DRIVER_OPTIONS };
  for (const key of DESTINATION_DRIVER_KEYS as (keyof DestinationDriverOptions)[]) {
    const v = input[key];
    if (v === undefined) continue;
    const name = `${where}.${key}`;
    const ok =
      key === 'timeReopen' || key === 'batchTimeout'
        ? checkMs(issues, name, v)
        : checkInt(issues, name, v, 1);
    if (ok) o[key] = v;
  }
  return o;
}

/** @internal */
export function resolveSourceDriverOptions(
  where: string,
  input: SourceDriverOptions,
  issues: Issues,
): Required<SourceDriverOptions> {
  const o = { ...DEFAULT_SOURCE_DRIVER_OPTIONS };
  if (input.logIwSize !== undefined && checkInt(issues, `${where}.logIwSize`, input.logIwSize, 1)) {
    o.logIwSize = input.logIwSize;
  }
  if (input.timeReopen !== undefined && checkMs(issues, `${where}.timeReopen`, input.timeReopen)) {
    o.timeReopen = input.timeReopen;
  }
  return o;
}
