/**
 * Test fixture (not built): a fetcher that plays a script of fetch() results
 * and records every open/fetch/close call with the (possibly fake) time.
 */
import {
  ConsecutiveAckTracker,
  LogMessage,
  type InternalLogRecord,
  type LogLevel,
} from '@logpath/core';
import { startSource, type SourceHarness } from '@logpath/core/testing';
import { vi } from 'vitest';
import { FetchStatus, type FetchResult } from '../fetch-status.js';
import { LogFetcher, type FetcherOptions } from '../log-fetcher.js';

/** One scripted fetch(): a result, an Error to throw, a function to call, or a raw (malformed) value. */
export type Step =
  FetchResult | Error | ((f: Scripted) => FetchResult | Promise<FetchResult>) | { raw: unknown };
/** One recorded call and its time. */
export type Call = readonly [what: 'open' | 'fetch' | 'close', at: number];

/** The calls a Scripted fetcher made, and a way to await the n-th call of a kind. */
export class Recorder {
  readonly calls: Call[] = [];
  #waiters: { what: Call[0]; n: number; resolve: () => void }[] = [];

  push(what: Call[0]): void {
    this.calls.push([what, Date.now()]);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.count(w.what) < w.n) return true;
      w.resolve();
      return false;
    });
  }

  count(what: Call[0]): number {
    return this.calls.filter((c) => c[0] === what).length;
  }

  /** Resolves once `what` has been called `n` times. */
  until(what: Call[0], n: number): Promise<void> {
    if (this.count(what) >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ what, n, resolve }));
  }

  /** Waits for the `n`-th call of `what`, then moves the fake clock `ms` on. */
  async untilThenAdvance(what: Call[0], n: number, ms: number): Promise<void> {
    await this.until(what, n);
    await vi.advanceTimersByTimeAsync(ms);
  }
}

/** Options of {@link Scripted}. */
export interface ScriptOptions {
  script: Step[];
  rec: Recorder;
  /** Results of successive open() calls; true once they run out. */
  opens?: (boolean | Error)[];
  tracker?: boolean;
}

/** Plays a script of fetch() results; once it runs out, fetch() stays pending until exit. */
export class Scripted extends LogFetcher<ScriptOptions> {
  #o!: ScriptOptions;
  #i = 0;

  // Deliberately no super.init(): the fetcher options must be read anyway.
  override init(options: ScriptOptions): void {
    this.#o = options;
    if (options.tracker) this.ackTracker = new ConsecutiveAckTracker(() => {});
  }

  override open(): boolean {
    this.#o.rec.push('open');
    const r = this.#o.opens?.shift() ?? true;
    if (r instanceof Error) throw r;
    return r;
  }

  override close(): void {
    this.#o.rec.push('close');
  }

  override fetch(): FetchResult | Promise<FetchResult> {
    this.#o.rec.push('fetch');
    const step = this.#o.script[this.#i++];
    if (step === undefined) {
      return new Promise((resolve) =>
        this.signal.addEventListener('abort', () => resolve(FetchStatus.NO_DATA), { once: true }),
      );
    }
    if (step instanceof Error) throw step;
    if (typeof step === 'function') return step(this);
    if (typeof step === 'object' && 'raw' in step) return step.raw as FetchResult;
    return step;
  }
}

export const msg = (text: string, bookmark?: unknown): LogMessage => new LogMessage(text, bookmark);
export const ok = (text: string): FetchResult => [FetchStatus.SUCCESS, msg(text)];

/** A started Scripted fetcher. */
export interface Started {
  h: SourceHarness<ScriptOptions & FetcherOptions>;
  rec: Recorder;
  calls: Call[];
  t0: number;
  source: Scripted;
}

let current: SourceHarness<ScriptOptions & FetcherOptions> | undefined;

/** Runs a Scripted fetcher in a real pipeline that captures what it posts. */
export async function start(
  script: Step[],
  extra: Partial<ScriptOptions> & FetcherOptions = {},
  driver: { logIwSize?: number; flowControl?: boolean } = {},
): Promise<Started> {
  const rec = new Recorder();
  const t0 = Date.now();
  const h = await startSource(Scripted, { options: { script, rec, ...extra }, ...driver });
  current = h;
  return { h, rec, calls: rec.calls, t0, source: h.source as Scripted };
}

/**
 * Fakes the timers the driver waits on. setImmediate stays real: the
 * destinations drain on it, and the fake clock only moves when a test says so.
 */
export function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

/** For `afterEach`: stops the pipeline of the last {@link start} (if any) and restores real timers. */
export async function stopStarted(): Promise<void> {
  const h = current;
  current = undefined;
  if (h) {
    const stopped = h.stop();
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(50);
    await stopped;
  }
  vi.useRealTimers();
}

/** Whether a log line of `level` matches `re`. */
export function logged(logs: readonly InternalLogRecord[], level: LogLevel, re: RegExp): boolean {
  return logs.some((l) => l.level === level && re.test(l.message));
}

/** The recorded calls as `what@ms` since start, easy to compare. */
export function timeline(calls: Call[], t0: number): string[] {
  return calls.map(([what, at]) => `${what}@${at - t0}`);
}
