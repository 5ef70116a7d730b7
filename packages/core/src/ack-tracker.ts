import type { LogMessage } from './log-message.js';
import { ConfigError, ErrorCode } from './errors.js';

/**
 * How a message ended. `delivered`: every destination it was routed to
 * delivered it. `dropped`: a destination gave up on it (DROP, retries
 * exhausted, full queue without flow control) — final, counted and logged.
 * `aborted`: the pipeline stopped while it was still queued in memory; it was
 * not delivered and should be read again from the source.
 */
export type AckStatus = 'delivered' | 'dropped' | 'aborted';

/** Ordinals used on the hot path; a higher one wins when a message fans out. @internal */
export const STATUS_DELIVERED = 0;
/** @internal */
export const STATUS_DROPPED = 1;
/** @internal */
export const STATUS_ABORTED = 2;
const STATUS_NAMES: readonly AckStatus[] = ['delivered', 'dropped', 'aborted'];

/** @internal */
export function statusName(ordinal: number): AckStatus {
  return STATUS_NAMES[ordinal] ?? 'aborted';
}

/** Callback of {@link InstantAckTracker} and {@link ConsecutiveAckTracker}. */
export type AckCallback = (bookmark: unknown, status: AckStatus) => void;

/** One entry handed to a {@link BatchedAckTracker} callback. */
export interface BookmarkAck {
  readonly bookmark: unknown;
  readonly status: AckStatus;
}

/**
 * Base of the ack trackers. A source sets one as `this.ackTracker` in `init()`;
 * from then on every posted message must carry a bookmark.
 */
export abstract class AckTracker {
  /** @internal called at post, in posting order */
  abstract _track(msg: LogMessage): void;
  /** @internal called once per message when every destination is done */
  abstract _ack(msg: LogMessage, status: number): void;
  /** @internal called when the source stops for good */
  _close(): void {}
}

/** Reports every message as soon as it is acknowledged, in any order. */
export class InstantAckTracker extends AckTracker {
  readonly #cb: AckCallback;

  /** @param callback - called with `(bookmark, status)` for each message. */
  constructor(callback: AckCallback) {
    super();
    this.#cb = callback;
  }

  override _track(): void {}

  override _ack(msg: LogMessage, status: number): void {
    this.#cb(msg.bookmark, statusName(status));
  }
}

/**
 * Reports only the last bookmark of the contiguous prefix of messages that are
 * done (delivered or dropped), in posting order: the primitive that Kafka
 * offsets and fetcher cursors need. An aborted message holds the prefix back,
 * so the position never moves past something that was not delivered.
 */
export class ConsecutiveAckTracker extends AckTracker {
  readonly #cb: AckCallback;
  #bookmarks: unknown[] = [];
  #states: number[] = []; // -1 pending, else a status ordinal
  #head = 0; // first entry not yet reported
  #base = 0; // seq number of #bookmarks[0]
  #next = 0;

  /** @param callback - called with the last bookmark of the acknowledged prefix. */
  constructor(callback: AckCallback) {
    super();
    this.#cb = callback;
  }

  override _track(msg: LogMessage): void {
    msg._seq = this.#next++;
    this.#bookmarks.push(msg.bookmark);
    this.#states.push(-1);
  }

  override _ack(msg: LogMessage, status: number): void {
    const states = this.#states;
    states[msg._seq - this.#base] = status;
    let i = this.#head;
    let last = -1;
    while (i < states.length && (states[i] === 0 || states[i] === 1)) last = i++;
    if (last < 0) return;
    this.#head = i;
    const bookmark = this.#bookmarks[last];
    const lastStatus = states[last]!;
    if (i > 1024 && i * 2 > states.length) {
      this.#bookmarks = this.#bookmarks.slice(i);
      this.#states = states.slice(i);
      this.#base += i;
      this.#head = 0;
    }
    this.#cb(bookmark, statusName(lastStatus));
  }

  /** Messages tracked but not yet part of the reported prefix. */
  get pending(): number {
    return this.#states.length - this.#head;
  }
}

/** Options of {@link BatchedAckTracker}. */
export interface BatchedAckTrackerOptions {
  /** Report a partial batch after this many milliseconds; 0 disables the timer. */
  timeout: number;
  /** Report as soon as this many acks have accumulated (≥ 1). */
  batchSize: number;
}

/**
 * Collects acks and reports them in batches, oldest first: when `batchSize`
 * have accumulated, every `timeout` ms, and once more when the source stops
 * (never with an empty list).
 */
export class BatchedAckTracker extends AckTracker {
  readonly #cb: (acks: BookmarkAck[]) => void;
  readonly #size: number;
  #batch: BookmarkAck[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @throws ConfigError when `batchSize` is not a positive integer or `timeout` is negative.
   */
  constructor(options: BatchedAckTrackerOptions, callback: (acks: BookmarkAck[]) => void) {
    super();
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new ConfigError(`batchSize must be an integer ≥ 1, got ${String(options.batchSize)}`, {
        code: ErrorCode.INVALID_OPTION,
      });
    }
    if (!(options.timeout >= 0)) {
      throw new ConfigError(`timeout must be ≥ 0 ms, got ${String(options.timeout)}`, {
        code: ErrorCode.INVALID_OPTION,
      });
    }
    this.#cb = callback;
    this.#size = options.batchSize;
    if (options.timeout > 0) {
      this.#timer = setInterval(() => this.#report(), options.timeout);
      this.#timer.unref();
    }
  }

  override _track(): void {}

  override _ack(msg: LogMessage, status: number): void {
    this.#batch.push({ bookmark: msg.bookmark, status: statusName(status) });
    // Once closed (source stopped, e.g. by a reload) no timer is left: report late acks at once.
    if (this.#batch.length >= this.#size || this.#closed) this.#report();
  }

  override _close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    this.#report();
  }

  #report(): void {
    if (this.#batch.length === 0) return;
    const acks = this.#batch;
    this.#batch = [];
    this.#cb(acks);
  }
}
