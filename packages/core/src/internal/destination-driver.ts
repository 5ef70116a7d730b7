import { STATUS_ABORTED, STATUS_DELIVERED, STATUS_DROPPED } from '../ack-tracker.js';
import type { DestinationDriverOptions } from '../driver-options.js';
import { DestinationResult as R, type LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import type { Logger } from '../logger.js';
import type { Counters, DropReason } from '../stats.js';
import { DropReporter } from './drop-reporter.js';
import type { MessageQueue } from './message-queue.js';
import { settle } from './settle.js';

/** Something that a full destination queue suspends: a flow-controlled source. */
export interface Backpressured {
  block(): void;
  unblock(): void;
}

type State = 'created' | 'running' | 'stopping' | 'detaching' | 'stopped';

const VALID_CODES = new Set<number>([
  R.DROP,
  R.ERROR,
  R.SUCCESS,
  R.QUEUED,
  R.NOT_CONNECTED,
  R.RETRY,
]);
const YIELD_EVERY = 10_000;
/**
 * Queued messages that start a drain at once rather than at the end of the
 * loop turn (when batchLines is not larger). A source with a large window
 * that reads many requests or frames in one turn would otherwise queue them
 * all before anything is delivered, and every one would outlive a
 * young-generation collection, which copies it. (A full window starts a drain
 * at once anyway: see drainSoon.)
 */
const DRAIN_NOW_AT = 1024;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs one destination: pops its queue, calls send/flush, and applies the
 * result codes (ack, rewind, reopen, drop). One drain runs at a time; sync
 * results never allocate a promise, so the per-message cost is a few calls.
 */
export class DestinationDriver {
  readonly #dest: LogDestination<unknown>;
  readonly #o: Required<DestinationDriverOptions>;
  readonly #log: Logger;
  readonly #drops: DropReporter;
  readonly #feeders = new Set<Backpressured>();
  #state: State = 'created';
  #opened = false;
  /** A drain is due at the end of the loop turn (setImmediate). */
  #scheduled = false;
  /** A drain is due as soon as the current call stack returns (a microtask). */
  #scheduledNow = false;
  /** Queue length that makes the due drain a microtask: see DRAIN_NOW_AT. */
  readonly #drainNowAt: number;
  #busy = false;
  #suspended = false;
  #suspendTimer: NodeJS.Timeout | undefined;
  #batchTimer: NodeJS.Timeout | undefined;
  #batchStart = 0;
  #bytes = 0;
  #errors = 0;
  #retryCount = 0;
  #openFailures = 0;
  #openLoggedAt = 0;
  #full = false;
  #dropReason: DropReason = 'destination-drop';
  #idleWaiters: (() => void)[] = [];
  /** Where dropped messages go instead of being lost (the fallback destination). */
  fallback: DestinationDriver | undefined;

  constructor(
    readonly name: string,
    dest: LogDestination<unknown>,
    options: Required<DestinationDriverOptions>,
    readonly queue: MessageQueue,
    readonly counters: Counters,
    logger: Logger,
  ) {
    this.#dest = dest;
    this.#o = options;
    this.#log = logger;
    this.#drops = new DropReporter(logger, counters);
    this.#drainNowAt = Math.max(options.batchLines, DRAIN_NOW_AT);
  }

  get instance(): LogDestination<unknown> {
    return this.#dest;
  }

  /** Registers a flow-controlled source that this queue suspends when full. */
  addFeeder(source: Backpressured): void {
    this.#feeders.add(source);
    if (this.#full) source.block();
  }

  start(): void {
    this.#state = 'running';
    this.#schedule(); // open at startup, as AxoSyslog's code does
  }

  /** Accepts a message from a log path. Never blocks; see logFifoSize. */
  enqueue(msg: LogMessage, flowControl: boolean): void {
    const c = this.counters;
    c.received++;
    c.bytes += msg._size || msg.size;
    if (this.#state === 'stopped') {
      this.#drops.drop(msg, 'shutdown', STATUS_ABORTED, 'the destination is stopped');
      return;
    }
    const q = this.queue;
    if (q.isFull(this.#o.logFifoSize)) {
      if (!flowControl) {
        const why = q.persistent
          ? 'disk buffer full (diskBuffer.maxBytes)'
          : `queue full (logFifoSize=${this.#o.logFifoSize})`;
        this.#drops.drop(msg, 'queue-full', STATUS_DROPPED, why);
        return;
      }
      // With flow control the message is kept: the sources' windows bound memory.
      if (!this.#full) this.#setFull(true);
    }
    q.push(msg);
    const now = q.length >= this.#drainNowAt;
    if (now || !this.#scheduled) this.#schedule(now);
  }

  /**
   * enqueue() for each of `msgs`, counting each as one more delivery to
   * settle (`_pending`). Counted once when the queue has room for all.
   */
  enqueueMany(msgs: readonly LogMessage[], flowControl: boolean): void {
    const n = msgs.length;
    const q = this.queue;
    // A disk buffer is full by bytes: only a message at a time can tell.
    if (this.#state === 'stopped' || q.persistent || q.isFull(this.#o.logFifoSize - n + 1)) {
      for (let i = 0; i < n; i++) {
        const m = msgs[i]!;
        m._pending++;
        this.enqueue(m, flowControl);
      }
      return;
    }
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const m = msgs[i]!;
      m._pending++;
      bytes += m._size || m.size;
      q.push(m);
    }
    this.counters.received += n;
    this.counters.bytes += bytes;
    const now = q.length >= this.#drainNowAt;
    if (now || !this.#scheduled) this.#schedule(now);
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Drains within `timeoutMs`, then closes and deinits. Returns the messages
   * left in the queue count; with `keepQueue` they stay queued (reload),
   * otherwise a memory queue reports them as aborted, and a disk buffer keeps
   * them for the next start and is closed.
   */
  async stop(timeoutMs: number, keepQueue = false): Promise<number> {
    if (this.#state === 'stopped') return 0;
    this.#state = keepQueue ? 'detaching' : 'stopping';
    if (!keepQueue) this.#flushNow();
    // Detaching waits only for the call in flight, so its result is applied before the queue moves on.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      keepQueue ? this.#whenNotBusy() : this.whenIdle(),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
    this.#state = 'stopped';
    if (keepQueue || this.queue.persistent) this.queue.rewind();
    clearTimeout(this.#suspendTimer);
    clearTimeout(this.#batchTimer);
    const left = this.queue.length + this.queue.backlog;
    if (!keepQueue && left > 0) {
      if (this.queue.persistent) {
        this.#log.info(`${left} undelivered messages stay in the disk buffer for the next start`);
      } else {
        this.#log.error(
          `${left} messages still queued at shutdown were not delivered (counted as dropped: shutdown)`,
        );
        this.queue.drainAll((m) => this.#drops.silent(m, 'shutdown', STATUS_ABORTED));
      }
    }
    this.#setFull(false);
    this.#drops.flush();
    if (this.#opened) await this.#call('close', () => this.#dest.close());
    this.#opened = false;
    await this.#call('deinit', () => this.#dest.deinit());
    if (!keepQueue) {
      try {
        await this.queue.close();
      } catch (err) {
        this.#log.error('closing the queue failed', err);
      }
    }
    this.#wakeIdle();
    return keepQueue ? left : 0;
  }

  #whenNotBusy(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Starts a drain as soon as the running code returns, not at the end of the
   * loop turn: a flow-controlled source that this destination feeds is full.
   * Waiting would keep it suspended (an HTTP source answering 429) for the
   * rest of the turn while this destination has nothing to do.
   */
  drainSoon(): void {
    if (this.queue.length > 0) this.#schedule(true);
  }

  #schedule(now = this.queue.length >= this.#drainNowAt): void {
    if (this.#scheduledNow || this.#busy || this.#suspended) return;
    if (this.#state !== 'running' && this.#state !== 'stopping') return;
    if (now) {
      this.#scheduledNow = true;
      queueMicrotask(this.#drainNowBound);
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#drainBound);
    }
  }

  readonly #drainNowBound = (): void => {
    this.#scheduledNow = false;
    this.#startDrain();
  };

  readonly #drainBound = (): void => {
    this.#scheduled = false;
    this.#startDrain();
  };

  #startDrain(): void {
    if (this.#busy || this.#suspended) return;
    // Scheduled before stop() and due after it: opening the destination now would outlive the pipeline.
    if (this.#state === 'stopped' || this.#state === 'detaching') return;
    this.#busy = true;
    this.#drain().then(this.#afterDrain, (err: unknown) => {
      this.#log.error('internal error in the destination driver', err);
      this.#afterDrain();
    });
  }

  readonly #afterDrain = (): void => {
    this.#busy = false;
    if (this.#state === 'detaching') this.#wakeIdle();
    else if (this.queue.length > 0 && !this.#suspended) this.#schedule();
    else if (this.#isIdle()) this.#wakeIdle();
  };

  async #drain(): Promise<void> {
    if (!this.#opened && !(await this.#open())) {
      this.#suspend(this.#o.timeReopen, false);
      return;
    }
    const q = this.queue;
    const dest = this.#dest;
    const o = this.#o;
    let sent = 0;
    for (;;) {
      if (this.#state === 'detaching' || this.#state === 'stopped') return;
      const msg = q.pop();
      if (msg === undefined) break;
      this.#bytes += msg._size || msg.size;
      let r: unknown;
      try {
        r = dest.send(msg);
        if (isThenable(r)) r = await r;
      } catch (err) {
        this.#log.error('send() threw; counted as ERROR', err);
        this.counters.errors++;
        r = R.ERROR;
      }
      // QUEUED, the batching destination's answer to nearly every message, needs no checking.
      let code = r === R.QUEUED ? R.QUEUED : this.#code(r, 'send');
      if (code === R.QUEUED) {
        if (q.backlog === 1) this.#batchStart = Date.now();
        if (q.backlog < o.batchLines && this.#bytes < o.batchBytes) continue;
        code = await this.#flushCall();
      }
      if (!this.#handle(code)) return;
      if (++sent >= YIELD_EVERY) {
        // Let sources and timers run during a long drain.
        sent = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    if (q.backlog === 0) return;
    if (o.batchTimeout > 0 && this.#state === 'running') {
      const wait = this.#batchStart + o.batchTimeout - Date.now();
      if (wait > 0) {
        this.#batchTimer ??= setTimeout(this.#onBatchTimeout, wait);
        return;
      }
    }
    this.#handle(await this.#flushCall());
  }

  readonly #onBatchTimeout = (): void => {
    this.#batchTimer = undefined;
    this.#flushNow();
  };

  /** Flushes a pending batch at the next drain, without waiting for batchTimeout. */
  #flushNow(): void {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    this.#batchStart = 0;
    if (this.queue.backlog > 0 && !this.#busy && !this.#suspended) {
      this.#busy = true;
      this.#flushCall()
        .then((code) => this.#handle(code))
        .then(this.#afterDrain, (err: unknown) => {
          this.#log.error('internal error in the destination driver', err);
          this.#afterDrain();
        });
    }
  }

  async #flushCall(): Promise<number> {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    let r: unknown;
    try {
      r = this.#dest.flush();
      if (isThenable(r)) r = await r;
    } catch (err) {
      this.#log.error('flush() threw; counted as ERROR', err);
      this.counters.errors++;
      return R.ERROR;
    }
    if (r === undefined) return R.SUCCESS;
    const code = this.#code(r, 'flush');
    if (code === R.QUEUED) {
      this.#log.error('flush() returned QUEUED, which only send() may return; counted as ERROR');
      return R.ERROR;
    }
    return code;
  }

  #code(r: unknown, what: string): number {
    if (r === true) return R.SUCCESS;
    if (r === false) return R.ERROR;
    if (typeof r === 'number' && VALID_CODES.has(r)) return r;
    this.#log.error(
      `${what}() returned ${String(r)}, not a result code or boolean; counted as ERROR`,
    );
    this.counters.errors++;
    return R.ERROR;
  }

  /** Applies a result to the current batch; false when the driver is now suspended. */
  #handle(code: number, throttle = this.#dest._takeRetryAfter()): boolean {
    // A call that outlived stop(): its messages were counted at shutdown or handed to a new driver.
    if (this.#state === 'stopped') return false;
    const q = this.queue;
    switch (code) {
      case R.SUCCESS:
        this.#errors = 0;
        this.#retryCount = 0;
        this.#bytes = 0;
        q.ackBacklog(this.#delivered);
        this.#checkFull();
        return true;
      case R.DROP:
        this.#errors = 0;
        this.#retryCount = 0;
        this.#dropBacklog('destination-drop', 'the destination returned DROP');
        return true;
      case R.ERROR: {
        if (throttle !== undefined) {
          // The destination was told to wait (Retry-After): not a failure of the batch.
          this.#rewind();
          this.#suspend(throttle, true);
          return false;
        }
        if (++this.#errors >= this.#o.retries) {
          this.#errors = 0;
          this.#dropBacklog(
            'retries-exhausted',
            `ERROR ${this.#o.retries} times (retries=${this.#o.retries})`,
          );
          return true;
        }
        this.#rewind();
        this.#suspend(this.#o.timeReopen, true);
        return false;
      }
      case R.RETRY:
        if (++this.#retryCount < this.#o.retries) {
          this.#rewind();
          return true;
        }
        this.#log.warn(`RETRY ${this.#o.retries} times; reconnecting`);
        return this.#handle(R.NOT_CONNECTED, throttle);
      case R.NOT_CONNECTED:
        this.#retryCount = 0;
        this.#errors = 0;
        this.#rewind();
        void this.#disconnect();
        this.#suspend(throttle ?? this.#o.timeReopen, false);
        return false;
      default:
        return this.#handle(R.ERROR, throttle);
    }
  }

  readonly #delivered = (m: LogMessage): void => {
    this.counters.delivered++;
    settle(m, STATUS_DELIVERED);
  };

  readonly #dropped = (m: LogMessage): void => {
    const fb = this.fallback;
    if (fb !== undefined) {
      // The fallback takes over this delivery; the message stays pending until it is done there.
      // Counted as fallback, not dropped: `dropped` is kept for messages really lost.
      this.counters.fallback++;
      m._pending++;
      fb.enqueue(m, true);
      settle(m, STATUS_DELIVERED);
      return;
    }
    this.#drops.silent(m, this.#dropReason, STATUS_DROPPED);
  };

  #dropBacklog(reason: DropReason, why: string): void {
    const n = this.queue.backlog;
    this.#bytes = 0;
    this.#dropReason = reason;
    this.#log.error(
      `dropped ${n} message${n === 1 ? '' : 's'}: ${why}` +
        (this.fallback ? `; sent to fallback ${this.fallback.name}` : ''),
    );
    this.queue.ackBacklog(this.#dropped);
    this.#checkFull();
  }

  #rewind(): void {
    this.counters.retried += this.queue.backlog;
    this.#bytes = 0;
    this.queue.rewind();
  }

  async #open(): Promise<boolean> {
    let ok = await this.#call('open', () => this.#dest.open());
    if (ok) ok = (await this.#call('isOpened', () => this.#dest.isOpened())) !== false;
    if (ok === false) {
      this.counters.errors++;
      // The first failure is a warning; while the target stays down, one line a minute says so.
      const now = Date.now();
      if (this.#openFailures++ === 0 || now - this.#openLoggedAt >= 60_000) {
        this.#openLoggedAt = now;
        this.#log.warn(
          `open() failed${this.#openFailures > 1 ? ` (${this.#openFailures} attempts so far)` : ''}; retrying every ${this.#o.timeReopen} ms`,
        );
      }
    } else if (this.#openFailures > 0) {
      this.#log.info(`open() succeeded after ${this.#openFailures} failed attempts`);
      this.#openFailures = 0;
    }
    this.#opened = ok !== false;
    if (this.#opened && this.#state === 'stopped') {
      // stop() gave up waiting while open() was in flight: leave no connection behind.
      this.#opened = false;
      await this.#call('close', () => this.#dest.close());
    }
    return this.#opened;
  }

  async #disconnect(): Promise<void> {
    if (!this.#opened) return;
    this.#opened = false;
    await this.#call('close', () => this.#dest.close());
  }

  /** Calls a plugin method; exceptions are logged and become `false`. */
  async #call(what: string, fn: () => unknown): Promise<unknown> {
    try {
      const r = fn();
      const v = isThenable(r) ? await r : r;
      return v === undefined ? true : v;
    } catch (err) {
      this.counters.errors++;
      this.#log.error(`${what}() threw`, err);
      return false;
    }
  }

  #suspend(ms: number, checkOpened: boolean): void {
    if (this.#state === 'stopped') return; // a late result of a call that outlived stop()
    this.#suspended = true;
    this.counters.suspended = 1;
    clearTimeout(this.#suspendTimer);
    this.#suspendTimer = setTimeout(() => {
      this.#suspendTimer = undefined;
      this.#suspended = false;
      this.counters.suspended = 0;
      if (checkOpened && this.#opened) {
        let opened = true;
        try {
          opened = this.#dest.isOpened() !== false;
        } catch (err) {
          this.#log.error('isOpened() threw', err);
          opened = false;
        }
        if (!opened) void this.#disconnect();
      }
      if (this.#state === 'stopped') return;
      this.#schedule();
    }, ms);
  }

  #setFull(full: boolean): void {
    if (this.#full === full) return;
    this.#full = full;
    for (const f of this.#feeders) {
      if (full) f.block();
      else f.unblock();
    }
  }

  #checkFull(): void {
    // Unblock at three quarters, so a full queue does not suspend and wake its sources per message.
    if (this.#full && !this.queue.isFull(Math.max(1, Math.floor((this.#o.logFifoSize * 3) / 4)))) {
      this.#setFull(false);
    }
  }

  #isIdle(): boolean {
    return !this.#busy && this.queue.length === 0 && this.queue.backlog === 0;
  }

  #wakeIdle(): void {
    const w = this.#idleWaiters;
    if (w.length === 0) return;
    this.#idleWaiters = [];
    for (const resolve of w) resolve();
  }
}
