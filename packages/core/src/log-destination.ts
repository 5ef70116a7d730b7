import type { LogMessage } from './log-message.js';
import type { Logger } from './logger.js';

/**
 * Result codes of {@link LogDestination.send} and {@link LogDestination.flush}.
 * The numbers match AxoSyslog's, so ported code keeps working.
 */
export const DestinationResult = Object.freeze({
  /** Give up on the message (or the batch): it is dropped, counted, and sent to the fallback destination if there is one. */
  DROP: 0,
  /** Failed: resend the batch after `timeReopen` ms (reopening first if `isOpened()` is false); drop it after `retries` attempts. */
  ERROR: 1,
  /** Delivered: acknowledges the message and every QUEUED message before it. */
  SUCCESS: 3,
  /** Added to the destination's own batch; `flush()` will send it. */
  QUEUED: 4,
  /** The connection is gone: close, wait `timeReopen` ms, open, resend — without limit. */
  NOT_CONNECTED: 5,
  /** Transient failure: resend at once; after `retries` attempts, act as NOT_CONNECTED. */
  RETRY: 6,
} as const);

/** A result code: one of {@link DestinationResult}'s values. */
export type DestinationResultCode = (typeof DestinationResult)[keyof typeof DestinationResult];

/** What `send()` and `flush()` may return: a code, or `true` (SUCCESS) / `false` (ERROR). */
export type SendResult = DestinationResultCode | boolean;

/** A destination class as named in a config. */
export interface DestinationClass<TOptions = Record<string, unknown>> {
  new (): LogDestination<TOptions>;
  /** Derives the persist name from the options (prefixed with the class name). */
  generatePersistName?(options: TOptions): string;
}

/**
 * Base class of destinations. Implement `send()`; the runtime calls it with one
 * message at a time, in order, never concurrently, and acts on the result as
 * {@link DestinationResult} describes.
 *
 * Batching: return QUEUED from `send()` after adding the message to your own
 * batch, and send the batch in `flush()`. The runtime calls `flush()` when
 * `batchLines`, `batchBytes` or `batchTimeout` is reached, or when its queue
 * runs empty (with `batchTimeout: 0`). After any result other than SUCCESS or
 * QUEUED, discard your batch: the runtime resends its messages through `send()`.
 *
 * @example
 * class Stdout extends LogDestination {
 *   send(msg: LogMessage) { process.stdout.write(msg.format('${MESSAGE}\n')); return this.SUCCESS; }
 * }
 */
export abstract class LogDestination<TOptions = Record<string, unknown>> {
  static readonly DROP = DestinationResult.DROP;
  static readonly ERROR = DestinationResult.ERROR;
  static readonly SUCCESS = DestinationResult.SUCCESS;
  static readonly QUEUED = DestinationResult.QUEUED;
  static readonly NOT_CONNECTED = DestinationResult.NOT_CONNECTED;
  static readonly RETRY = DestinationResult.RETRY;

  /** Same as {@link DestinationResult.DROP}. */
  get DROP(): 0 {
    return DestinationResult.DROP;
  }
  /** Same as {@link DestinationResult.ERROR}. */
  get ERROR(): 1 {
    return DestinationResult.ERROR;
  }
  /** Same as {@link DestinationResult.SUCCESS}. */
  get SUCCESS(): 3 {
    return DestinationResult.SUCCESS;
  }
  /** Same as {@link DestinationResult.QUEUED}. */
  get QUEUED(): 4 {
    return DestinationResult.QUEUED;
  }
  /** Same as {@link DestinationResult.NOT_CONNECTED}. */
  get NOT_CONNECTED(): 5 {
    return DestinationResult.NOT_CONNECTED;
  }
  /** Same as {@link DestinationResult.RETRY}. */
  get RETRY(): 6 {
    return DestinationResult.RETRY;
  }

  /** Unique name of this instance, set by the runtime before `init()`. */
  persistName = '';

  /** Logs with the component's persist name; set by the runtime before `init()`. */
  logger: Logger = silentLogger;

  /**
   * Called once at startup and at every reload, with the config's `options`.
   * Validate them here. Returning `false` (or throwing) fails startup with an
   * error naming this destination; `undefined` counts as success.
   */
  init(_options: TOptions): boolean | void | Promise<boolean | void> {}

  /** Called at stop and reload, after the last `close()`. */
  deinit(): void | Promise<void> {}

  /**
   * Opens the connection. Called before the first `send()` and, while it
   * fails, every `timeReopen` ms. Return `false` (or throw) on failure.
   */
  open(): boolean | void | Promise<boolean | void> {
    return true;
  }

  /** Closes the connection: after NOT_CONNECTED, and at stop. */
  close(): void | Promise<void> {}

  /** Whether the connection can still take messages; asked after an ERROR. Default `true`. */
  isOpened(): boolean {
    return true;
  }

  #retryAfterMs: number | undefined;

  /**
   * Asks the runtime to wait `ms` milliseconds (instead of `timeReopen`)
   * before the next attempt, for the ERROR or NOT_CONNECTED you are about to
   * return — e.g. a server's `Retry-After`. A throttled ERROR is a wait, not a
   * failure: it does not count against `retries`.
   * @throws RangeError when `ms` is not a finite number ≥ 0.
   */
  retryAfter(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`retryAfter(ms) needs a number of milliseconds ≥ 0, got ${String(ms)}`);
    }
    this.#retryAfterMs = Math.min(ms, 2_147_483_647);
  }

  /** @internal the delay set by retryAfter() for this result, cleared once read */
  _takeRetryAfter(): number | undefined {
    const ms = this.#retryAfterMs;
    this.#retryAfterMs = undefined;
    return ms;
  }

  /** Sends one message, or adds it to a batch and returns QUEUED. */
  abstract send(msg: LogMessage): SendResult | Promise<SendResult>;

  /** Sends the batch built from QUEUED messages. Default: SUCCESS. */
  flush(): SendResult | void | Promise<SendResult | void> {
    return DestinationResult.SUCCESS;
  }
}

/** @internal */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};
