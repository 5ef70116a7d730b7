import { STATUS_DELIVERED } from '../ack-tracker.js';
import type { SourceDriverOptions } from '../driver-options.js';
import { ErrorCode, LogpathError } from '../errors.js';
import type { AckOwner, LogMessage } from '../log-message.js';
import type { LogSource } from '../log-source.js';
import type { Logger } from '../logger.js';
import type { Counters } from '../stats.js';
import type { Backpressured, DestinationDriver } from './destination-driver.js';
import { ForkOwner, settle } from './settle.js';
import { kHost, type SourceHost } from './source-host.js';

/** One log path as seen from a source. */
export interface Route {
  readonly filter: ((msg: LogMessage) => boolean) | undefined;
  readonly rewrite: ((msg: LogMessage) => void) | undefined;
  readonly destinations: readonly DestinationDriver[];
  readonly flowControl: boolean;
}

/**
 * Runs one source: binds it to the runtime, restarts `run()` after a crash,
 * routes posted messages into log paths and keeps the window. Per message: a
 * few counter updates and one queue push per destination.
 */
export class SourceDriver implements SourceHost, AckOwner, Backpressured {
  readonly #src: LogSource<unknown>;
  readonly #o: Required<SourceDriverOptions>;
  readonly #log: Logger;
  readonly #routes: readonly Route[];
  /** Whether acks (not routing) free window slots: some path is flow-controlled. */
  readonly #holdWindow: boolean;
  /** Some path and none filters or rewrites: a batch is routed whole (#routeMany). */
  readonly #plain: boolean;
  readonly #wakeAt: number;
  /** The destinations of the flow-controlled paths: what frees the window. */
  readonly #feeds: readonly DestinationDriver[];
  #inFlight = 0;
  #blocked = 0;
  #suspended = false;
  #transport: string | undefined;
  #batch: LogMessage[] = [];
  #waiters: (() => void)[] = [];
  #running: Promise<void> | undefined;
  #exitRequested = false;
  #restartTimer: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    readonly name: string,
    source: LogSource<unknown>,
    options: Required<SourceDriverOptions>,
    routes: readonly Route[],
    readonly counters: Counters,
    logger: Logger,
  ) {
    this.#src = source;
    this.#o = options;
    this.#routes = routes;
    this.#log = logger;
    this.#holdWindow = routes.some((r) => r.flowControl);
    this.#plain = routes.length > 0 && routes.every((r) => !r.filter && !r.rewrite);
    // Wake with a quarter of the window free, so suspend/wakeup do not ping-pong per message.
    this.#wakeAt = options.logIwSize - Math.max(1, Math.floor(options.logIwSize / 4));
    source[kHost] = this;
    const feeds = new Set<DestinationDriver>();
    for (const r of routes) if (r.flowControl) for (const d of r.destinations) feeds.add(d);
    this.#feeds = [...feeds];
    for (const d of this.#feeds) d.addFeeder(this);
  }

  get instance(): LogSource<unknown> {
    return this.#src;
  }

  get exitRequested(): boolean {
    return this.#exitRequested;
  }

  get hasRoom(): boolean {
    return this.#inFlight < this.#o.logIwSize && this.#blocked === 0;
  }

  /** Messages posted and not yet acknowledged (or routed, without flow control). */
  get inFlight(): number {
    return this.#inFlight;
  }

  start(): void {
    this.#running = this.#runLoop();
  }

  post(msg: LogMessage): boolean {
    const tracker = this.#src.ackTracker;
    if (tracker !== undefined && msg.bookmark === undefined) throw this.#missingBookmark();
    this.#admit(msg, tracker);
    this.#inFlight++;
    this.counters.received++;
    this.counters.bytes += msg._size;
    if (this.#src.autoCloseBatches) this.#route(msg);
    else this.#batch.push(msg);
    return this.#roomAfterPost();
  }

  /** post() for each of `msgs`, with the counters and the routing done once for all. */
  postMany(msgs: readonly LogMessage[]): boolean {
    const n = msgs.length;
    const tracker = this.#src.ackTracker;
    if (tracker !== undefined) {
      // All or none: a message without a bookmark must not leave the others half posted.
      for (let i = 0; i < n; i++)
        if (msgs[i]!.bookmark === undefined) throw this.#missingBookmark();
    }
    const batch = this.#src.autoCloseBatches ? undefined : this.#batch;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const msg = msgs[i]!;
      this.#admit(msg, tracker);
      bytes += msg._size;
      if (batch !== undefined) batch.push(msg);
    }
    this.#inFlight += n;
    this.counters.received += n;
    this.counters.bytes += bytes;
    if (batch === undefined) this.#routeMany(msgs);
    return this.#roomAfterPost();
  }

  /** What posting does to each message: ack tracking, TRANSPORT, the routing guard, the size. */
  #admit(msg: LogMessage, tracker: LogSource<unknown>['ackTracker']): void {
    if (tracker !== undefined) tracker._track(msg);
    if (this.#transport !== undefined) msg.set('TRANSPORT', this.#transport);
    msg._owner = this;
    msg._pending = 1;
    msg._status = STATUS_DELIVERED;
    // Measured once here; destinations reuse it for their counters and batchBytes.
    msg._size = msg.size;
  }

  /** After a post: false (and suspended) when the window is full or a destination blocks. */
  #roomAfterPost(): boolean {
    if (this.#inFlight >= this.#o.logIwSize || this.#blocked > 0) {
      if (!this.#suspended) this.#suspend();
      return false;
    }
    return true;
  }

  #missingBookmark(): LogpathError {
    return new LogpathError(
      ErrorCode.MISSING_BOOKMARK,
      `${this.#src.persistName}: an ackTracker is set, so every posted message needs a bookmark (new LogMessage(text, bookmark) or setBookmark())`,
    );
  }

  closeBatch(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    this.#routeMany(batch);
  }

  /**
   * Routes messages in order. When no path filters or rewrites, each
   * destination takes them in one call; otherwise they go one by one.
   */
  #routeMany(msgs: readonly LogMessage[]): void {
    if (!this.#plain) {
      for (let i = 0; i < msgs.length; i++) this.#route(msgs[i]!);
      return;
    }
    const routes = this.#routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      for (const d of r.destinations) d.enqueueMany(msgs, r.flowControl);
    }
    const n = msgs.length;
    this.counters.posted += n;
    if (!this.#holdWindow) this.#release(n);
    for (let i = 0; i < n; i++) settle(msgs[i]!, STATUS_DELIVERED); // the routing guards
  }

  setTransport(name: string): void {
    this.#transport = name;
  }

  waitForWindow(): Promise<void> {
    if (this.hasRoom || this.#exitRequested) return Promise.resolve();
    if (!this.#src.autoCloseBatches) this.closeBatch(); // an unclosed batch would never free the window
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #route(msg: LogMessage): void {
    const routes = this.#routes;
    const n = routes.length;
    let taken = false;
    for (let i = 0; i < n; i++) {
      const r = routes[i]!;
      let m = msg;
      try {
        if (r.filter !== undefined && !r.filter(msg)) continue;
        if (r.rewrite !== undefined) {
          if (n > 1) {
            // Another path must not see this path's rewrite.
            m = msg.clone();
            m._owner = new ForkOwner(msg);
            m._pending = 1;
            msg._pending++;
          }
          r.rewrite(m);
        }
      } catch (err) {
        this.counters.errors++;
        this.#log.error('a log path filter or rewrite threw; the message skips that path', err);
        if (m !== msg) settle(m, STATUS_DELIVERED);
        continue;
      }
      taken = true;
      const dests = r.destinations;
      for (let j = 0; j < dests.length; j++) {
        m._pending++;
        dests[j]!.enqueue(m, r.flowControl);
      }
      if (m !== msg) settle(m, STATUS_DELIVERED);
    }
    this.counters.posted++;
    // No path took it: acknowledged (nothing failed), and counted so it is not lost silently.
    if (!taken) this.counters.drop('filtered');
    if (!this.#holdWindow) this.#release();
    settle(msg, STATUS_DELIVERED); // the routing guard
  }

  /** AckOwner: every destination is done with `msg`. */
  complete(msg: LogMessage): void {
    if (this.#holdWindow) this.#release();
    const tracker = this.#src.ackTracker;
    if (tracker !== undefined) {
      try {
        tracker._ack(msg, msg._status);
      } catch (err) {
        this.counters.errors++;
        this.#log.error('the ack callback threw', err);
      }
    }
  }

  #release(n = 1): void {
    this.#inFlight -= n;
    if (this.#suspended && this.#inFlight <= this.#wakeAt && this.#blocked === 0) this.#wakeup();
  }

  block(): void {
    this.#blocked++;
    if (!this.#suspended) this.#suspend();
  }

  unblock(): void {
    this.#blocked--;
    if (this.#suspended && this.#blocked === 0 && this.#inFlight <= this.#wakeAt) this.#wakeup();
  }

  #suspend(): void {
    this.#suspended = true;
    this.counters.suspended = 1;
    if (this.#src.suspend !== undefined) this.#hook('suspend');
    // Delivery frees the window: start it now rather than at the end of the loop turn.
    for (const d of this.#feeds) d.drainSoon();
  }

  #wakeup(): void {
    this.#suspended = false;
    this.counters.suspended = 0;
    if (this.#src.wakeup !== undefined) this.#hook('wakeup');
    this.#resolveWaiters();
  }

  #hook(name: 'suspend' | 'wakeup'): void {
    try {
      this.#src[name]?.();
    } catch (err) {
      this.counters.errors++;
      this.#log.error(`${name}() threw`, err);
    }
  }

  #resolveWaiters(): void {
    const w = this.#waiters;
    if (w.length === 0) return;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }

  async #runLoop(): Promise<void> {
    while (!this.#exitRequested) {
      try {
        await this.#src.run();
        if (!this.#exitRequested) this.#log.info('run() returned: the source has finished');
        break;
      } catch (err) {
        this.counters.errors++;
        this.#log.error(`run() failed; restarting it in ${this.#o.timeReopen} ms`, err);
        if (this.#exitRequested) break;
        await new Promise<void>((resolve) => {
          this.#restartTimer = { timer: setTimeout(resolve, this.#o.timeReopen), resolve };
        });
        this.#restartTimer = undefined;
      }
    }
    this.closeBatch();
  }

  /**
   * Asks the source to stop and waits for `run()` to return, up to `timeoutMs`.
   * Messages of an unclosed batch are handed on, never lost.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.#exitRequested) {
      this.#exitRequested = true;
      this.#src._abort();
      if (this.#restartTimer) {
        clearTimeout(this.#restartTimer.timer);
        this.#restartTimer.resolve();
      }
      this.#resolveWaiters();
      try {
        await this.#src.requestExit();
      } catch (err) {
        this.counters.errors++;
        this.#log.error('requestExit() threw', err);
      }
    }
    if (this.#running) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#running.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.#log.warn(`run() did not return within ${timeoutMs} ms of requestExit()`);
    }
    this.closeBatch();
  }

  /** Releases the source after stop: stops its tracker, calls deinit(). */
  async deinit(): Promise<void> {
    try {
      this.#src.ackTracker?._close();
    } catch (err) {
      this.#log.error('the ack tracker failed to close', err);
    }
    try {
      await this.#src.deinit();
    } catch (err) {
      this.counters.errors++;
      this.#log.error('deinit() threw', err);
    }
  }
}
