import type { AckTracker } from './ack-tracker.js';
import { LifecycleError } from './errors.js';
import type { LogMessage } from './log-message.js';
import { silentLogger } from './log-destination.js';
import type { Logger } from './logger.js';
import { kHost, type SourceHost } from './internal/source-host.js';

/** A source class as named in a config. */
export interface SourceClass<TOptions = Record<string, unknown>> {
  new (): LogSource<TOptions>;
  /** Derives the persist name from the options (prefixed with the class name). */
  generatePersistName?(options: TOptions): string;
}

/**
 * Base class of server-style sources: `run()` receives messages (runs a
 * server, consumes a stream…) and posts them with {@link postMessage}.
 *
 * Flow control is non-blocking: `postMessage` always accepts the message and
 * returns `false` once the window (`logIwSize`) is full. Then stop reading
 * (or `await this.waitForWindow()`) until there is room; the runtime also calls
 * the optional `suspend()` and `wakeup()` hooks. No message is ever dropped
 * because the window was full.
 *
 * @example
 * class Ticker extends LogSource {
 *   async run() {
 *     while (!this.signal.aborted) {
 *       if (!this.postMessage(new LogMessage('tick'))) await this.waitForWindow();
 *       await setTimeout(1000, undefined, { signal: this.signal }).catch(() => {});
 *     }
 *   }
 * }
 */
export abstract class LogSource<TOptions = Record<string, unknown>> {
  /** Unique name of this instance, set by the runtime before `init()`. */
  persistName = '';

  /** Logs with the component's persist name; set by the runtime before `init()`. */
  logger: Logger = silentLogger;

  /**
   * Set in `init()` to get delivery reports for bookmarked messages; every
   * message posted afterwards must then carry a bookmark.
   */
  ackTracker: AckTracker | undefined = undefined;

  /**
   * When true (the default) every posted message is handed to the
   * destinations at once. When false, posted messages become visible only at
   * {@link closeBatch}: call it at natural boundaries (the end of a request).
   */
  autoCloseBatches = true;

  readonly #exit = new AbortController();

  /** @internal */
  [kHost]: SourceHost | undefined = undefined;

  /** Aborted when the runtime asks the source to stop; pass it to whatever `run()` awaits. */
  get signal(): AbortSignal {
    return this.#exit.signal;
  }

  /**
   * Called once at startup and at every reload, with the config's `options`.
   * Returning `false` (or throwing) fails startup with an error naming this
   * source; `undefined` counts as success.
   */
  init(_options: TOptions): boolean | void | Promise<boolean | void> {}

  /** Called at stop and reload, after `run()` has returned. */
  deinit(): void | Promise<void> {}

  /**
   * Receives messages until the source is asked to exit, then resolves. If it
   * throws or rejects, the error is logged and `run()` is started again after
   * `timeReopen` ms. If it resolves on its own, the source is finished.
   */
  abstract run(): void | Promise<void>;

  /**
   * Asks `run()` to return: close servers, stop consumers. `signal` is already
   * aborted when this is called. Default: nothing more.
   */
  requestExit(): void | Promise<void> {}

  /** Optional: called when the window fills up (stop reading). */
  suspend?(): void;

  /** Optional: called when the window has room again (resume reading). */
  wakeup?(): void;

  /**
   * Posts a message into the log paths of this source. Always accepts it;
   * returns `false` when the window is now full (stop posting until
   * {@link waitForWindow} resolves or `wakeup()` is called).
   * @throws LifecycleError when the source is not running in a pipeline.
   * @throws LogpathError ERR_MISSING_BOOKMARK when an ack tracker is set and the message has no bookmark.
   */
  postMessage(msg: LogMessage): boolean {
    const host = this[kHost];
    if (host === undefined) throw notRunning('postMessage');
    return host.post(msg);
  }

  /**
   * Posts several messages, in order: the same as {@link postMessage} for
   * each, with the bookkeeping done once for all (a request body, a frame,
   * a fetched page). Returns `false` when the window is now full.
   * @throws LifecycleError when the source is not running in a pipeline.
   * @throws LogpathError ERR_MISSING_BOOKMARK when an ack tracker is set and
   *   any of the messages has no bookmark; none of them is posted then.
   */
  postMessages(messages: readonly LogMessage[]): boolean {
    const host = this[kHost];
    if (host === undefined) throw notRunning('postMessages');
    return host.postMany(messages);
  }

  /** Hands the messages posted since the last call to the destinations. */
  closeBatch(): void {
    const host = this[kHost];
    if (host === undefined) throw notRunning('closeBatch');
    host.closeBatch();
  }

  /** Sets TRANSPORT on every message posted from now on. */
  setTransportName(name: string): void {
    const host = this[kHost];
    if (host === undefined) throw notRunning('setTransportName');
    host.setTransport(name);
  }

  /** Resolves when the window has room again (at once if it has), or when exit is requested. */
  waitForWindow(): Promise<void> {
    const host = this[kHost];
    if (host === undefined) return Promise.reject(notRunning('waitForWindow'));
    return host.waitForWindow();
  }

  /** True while postMessage would return true. */
  get hasRoom(): boolean {
    return this[kHost]?.hasRoom ?? false;
  }

  /** True once the runtime has asked this source to stop. */
  get exitRequested(): boolean {
    return this.#exit.signal.aborted;
  }

  /** @internal called by the runtime before requestExit() */
  _abort(): void {
    this.#exit.abort();
  }
}

function notRunning(what: string): LifecycleError {
  return new LifecycleError(`${what}() needs the source to be started by a pipeline`);
}
