import {
  ConfigError,
  ErrorCode,
  LogMessage,
  LogSource,
  checkMs,
  type OptionIssues,
} from '@logpath/core';
import { FetchStatus, isFetchStatus, type FetchResult } from './fetch-status.js';
import { describeValue } from './internal/describe.js';
import { ABANDONED, Interruptible } from './internal/interruptible.js';

/**
 * Options every fetcher reads from its config `options` (beside its own).
 * They live in `options`, not beside `class`, because the runtime hands a
 * source only its `options`.
 */
export interface FetcherOptions {
  /** Wait after `fetch()` returned NO_DATA, in ms. Default 1000. */
  fetchNoDataDelay?: number;
  /** Wait after NOT_CONNECTED or ERROR, and between failed `open()` calls, in ms. Default 1000. */
  timeReopen?: number;
}

/** Defaults of {@link FetcherOptions}. */
export const DEFAULT_FETCHER_OPTIONS: Readonly<Required<FetcherOptions>> = Object.freeze({
  fetchNoDataDelay: 1000,
  timeReopen: 1000,
});

// Fetch-again-at-once must not starve timers, I/O and the destinations: after
// this much work without a real wait, the loop yields one event-loop turn.
const YIELD_AFTER_FETCHES = 128;
const YIELD_AFTER_MESSAGES = 4096;

type InitResult = boolean | void | Promise<boolean | void>;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Base class of fetcher-style sources: implement {@link fetch} (and optionally
 * `open()`, `close()`, `init()`, `deinit()`, `requestExit()`); the driver loop
 * in `run()` calls it and acts on the {@link FetchStatus} it returns. The
 * right base for a request/response or blocking API.
 *
 * Each fetch is one batch: the messages of one `[SUCCESS, messages]` reach the
 * destinations together. `open()` is called before the first fetch and after
 * NOT_CONNECTED or ERROR, retried every `timeReopen` ms while it fails (returns
 * `false` or throws). `close()` is called after ERROR and always once more at
 * exit, so it must cope with being called when nothing is open.
 *
 * Exit is prompt: the waits end at once, and a pending `fetch()` or `open()`
 * is abandoned (its late result is logged, not posted). Pass `this.signal` to
 * whatever `fetch()` awaits so that the work itself stops too.
 *
 * @example
 * class Counter extends LogFetcher {
 *   n = 0;
 *   fetch(): FetchResult {
 *     return this.n < 3 ? [FetchStatus.SUCCESS, new LogMessage(`n=${this.n++}`)] : FetchStatus.NO_DATA;
 *   }
 * }
 */
export abstract class LogFetcher<
  TOptions extends object = Record<string, unknown>,
> extends LogSource<TOptions & FetcherOptions> {
  /** Same as {@link FetchStatus.ERROR}. */
  static readonly ERROR = FetchStatus.ERROR;
  /** Same as {@link FetchStatus.NOT_CONNECTED}. */
  static readonly NOT_CONNECTED = FetchStatus.NOT_CONNECTED;
  /** Same as {@link FetchStatus.SUCCESS}. */
  static readonly SUCCESS = FetchStatus.SUCCESS;
  /** Same as {@link FetchStatus.TRY_AGAIN}. */
  static readonly TRY_AGAIN = FetchStatus.TRY_AGAIN;
  /** Same as {@link FetchStatus.NO_DATA}. */
  static readonly NO_DATA = FetchStatus.NO_DATA;

  /** Wait after NO_DATA, in ms: `options.fetchNoDataDelay`, default 1000. A subclass may change it in `init()`. */
  fetchNoDataDelay: number = DEFAULT_FETCHER_OPTIONS.fetchNoDataDelay;

  /** Wait after NOT_CONNECTED, ERROR or a failed `open()`, in ms: `options.timeReopen`, default 1000. */
  timeReopen: number = DEFAULT_FETCHER_OPTIONS.timeReopen;

  #posted = 0;

  constructor() {
    super();
    // Read the fetcher options even when a subclass's init() does not call
    // super.init(): forgetting it would silently ignore fetchNoDataDelay.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared and called with this below
    const own = this.init;
    if (own !== LogFetcher.prototype.init) {
      this.init = (options: TOptions & FetcherOptions): InitResult => {
        this.#configure(options);
        return own.call(this, options);
      };
    }
  }

  /**
   * Reads `fetchNoDataDelay` and `timeReopen` from the options. A subclass
   * that overrides `init()` gets this done for it; calling `super.init()` is harmless.
   * @throws ConfigError (ERR_INVALID_OPTION) naming the option, the expectation and the value.
   */
  override init(options: TOptions & FetcherOptions): InitResult {
    this.#configure(options);
  }

  /**
   * Connects (optional). Returning `false` or throwing means it failed: the
   * driver retries every `timeReopen` ms. Default: succeeds.
   */
  open(): boolean | void | Promise<boolean | void> {}

  /** Disconnects (optional): after ERROR and always at exit, also when `open()` never succeeded. */
  close(): void | Promise<void> {}

  /**
   * Fetches the next message(s). Returns or resolves to
   * `[FetchStatus.SUCCESS, message]`, `[FetchStatus.SUCCESS, messages]` or a
   * bare status; a throw or any other value is logged and counted as ERROR.
   */
  abstract fetch(): FetchResult | Promise<FetchResult>;

  /** The driver loop; a subclass implements `fetch()`, not this. */
  override async run(): Promise<void> {
    const signal = this.signal;
    const waits = new Interruptible(signal);
    this.autoCloseBatches = false; // one fetch = one batch
    let opened = false;
    let fetches = 0;
    let messages = 0;
    try {
      while (!signal.aborted) {
        if (!opened) {
          opened = await this.#open(waits);
          if (signal.aborted) break;
          if (!opened) {
            await waits.sleep(this.timeReopen);
            continue;
          }
        }
        let result: unknown;
        try {
          result = this.fetch();
          if (isThenable(result)) {
            const pending = result;
            result = await waits.race(pending);
            if (result === ABANDONED) {
              this.#watchLate(pending);
              break;
            }
          }
        } catch (err) {
          if (signal.aborted) break;
          this.logger.error(
            `fetch() threw; counted as ERROR: close(), then open() in ${this.timeReopen} ms`,
            err,
          );
          await this.#close();
          opened = false;
          await waits.sleep(this.timeReopen);
          continue;
        }
        const status = this.#apply(result);
        switch (status) {
          case FetchStatus.SUCCESS:
            messages += this.#posted;
            if (!this.hasRoom) {
              await this.waitForWindow();
              fetches = messages = 0;
            } else if (++fetches >= YIELD_AFTER_FETCHES || messages >= YIELD_AFTER_MESSAGES) {
              await waits.immediate();
              fetches = messages = 0;
            }
            break;
          case FetchStatus.TRY_AGAIN:
            await waits.immediate();
            fetches = messages = 0;
            break;
          case FetchStatus.NO_DATA:
            await waits.sleep(this.fetchNoDataDelay);
            fetches = messages = 0;
            break;
          case FetchStatus.NOT_CONNECTED:
            if (signal.aborted) break;
            this.logger.warn(
              `fetch() returned NOT_CONNECTED; open() again in ${this.timeReopen} ms`,
            );
            opened = false;
            await waits.sleep(this.timeReopen);
            break;
          default: // ERROR, or malformed (already logged)
            if (signal.aborted) break;
            await this.#close();
            opened = false;
            await waits.sleep(this.timeReopen);
        }
      }
    } finally {
      waits.dispose();
      await this.#close();
    }
  }

  #configure(options: FetcherOptions | undefined): void {
    const issues: OptionIssues = [];
    const o = options ?? {};
    if (
      o.fetchNoDataDelay !== undefined &&
      checkMs(issues, 'fetchNoDataDelay', o.fetchNoDataDelay)
    ) {
      this.fetchNoDataDelay = o.fetchNoDataDelay;
    }
    if (o.timeReopen !== undefined && checkMs(issues, 'timeReopen', o.timeReopen)) {
      this.timeReopen = o.timeReopen;
    }
    if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
  }

  /** Posts what fetch() returned and returns the status to act on; malformed results are logged as ERROR. */
  #apply(result: unknown): number {
    this.#posted = 0;
    if (typeof result === 'number') {
      if (result !== FetchStatus.SUCCESS && isFetchStatus(result)) {
        if (result === FetchStatus.ERROR && !this.signal.aborted) {
          this.logger.warn(`fetch() returned ERROR; close(), then open() in ${this.timeReopen} ms`);
        }
        return result;
      }
      return this.#malformed(
        result,
        result === FetchStatus.SUCCESS ? 'SUCCESS needs a message' : 'not a FetchStatus',
      );
    }
    if (!Array.isArray(result) || result.length !== 2 || result[0] !== FetchStatus.SUCCESS) {
      return this.#malformed(result, 'expected a FetchStatus or [FetchStatus.SUCCESS, message(s)]');
    }
    const payload: unknown = result[1];
    const tracked = this.ackTracker !== undefined;
    if (payload instanceof LogMessage) {
      if (tracked && payload.bookmark === undefined)
        return this.#malformed(result, 'an ackTracker is set but the message has no bookmark');
      this.postMessage(payload);
      this.closeBatch();
      this.#posted = 1;
      return FetchStatus.SUCCESS;
    }
    if (!Array.isArray(payload))
      return this.#malformed(result, 'the second element must be a LogMessage or an array of them');
    const n = payload.length;
    if (n === 0) return FetchStatus.NO_DATA;
    // Check the whole batch first: a batch is posted whole or not at all.
    for (let i = 0; i < n; i++) {
      const m: unknown = payload[i];
      if (!(m instanceof LogMessage))
        return this.#malformed(result, `item ${i} is ${describeValue(m)}, not a LogMessage`);
      if (tracked && m.bookmark === undefined) {
        return this.#malformed(result, `an ackTracker is set but message ${i} has no bookmark`);
      }
    }
    for (let i = 0; i < n; i++) this.postMessage(payload[i] as LogMessage);
    this.closeBatch();
    this.#posted = n;
    return FetchStatus.SUCCESS;
  }

  #malformed(result: unknown, why: string): number {
    this.logger.error(
      `fetch() returned ${describeValue(result)} (${why}); counted as ERROR: close(), then open() in ${this.timeReopen} ms`,
    );
    return FetchStatus.ERROR;
  }

  async #open(waits: Interruptible): Promise<boolean> {
    try {
      let r: unknown = this.open();
      if (isThenable(r)) {
        r = await waits.race(r);
        if (r === ABANDONED) return false;
      }
      if (r !== false) return true;
      this.logger.warn(`open() returned false; retrying in ${this.timeReopen} ms`);
    } catch (err) {
      if (!this.signal.aborted)
        this.logger.error(`open() threw; retrying in ${this.timeReopen} ms`, err);
    }
    return false;
  }

  async #close(): Promise<void> {
    try {
      await this.close();
    } catch (err) {
      this.logger.error('close() threw', err);
    }
  }

  /** A fetch abandoned at exit: its messages are not posted, so say so if it brings any. */
  #watchLate(pending: PromiseLike<unknown>): void {
    this.logger.debug('exit requested while fetch() was pending; its result will be ignored');
    pending.then(
      (late) => {
        if (!Array.isArray(late) || late[0] !== FetchStatus.SUCCESS) return;
        const payload: unknown = late[1];
        const n = Array.isArray(payload) ? payload.length : 1;
        if (n > 0)
          this.logger.warn(
            `fetch() resolved after exit with ${n} message(s); they were not posted`,
          );
      },
      () => {},
    );
  }
}
