import type { LogMessage } from '../log-message.js';
import type { Logger } from '../logger.js';
import type { Counters, DropReason } from '../stats.js';
import { settle } from './settle.js';

const LOG_INTERVAL_MS = 1000;

/**
 * Counts and settles dropped messages, and says why in the log without a line
 * per message: the first drop is logged at once, later ones are summed and
 * logged at most once a second (and at stop), so the counter is exact and the
 * log stays readable under a flood.
 */
export class DropReporter {
  #pending = 0;
  #why = '';
  #lastLog = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly counters: Counters,
  ) {}

  drop(msg: LogMessage, reason: DropReason, status: number, why: string): void {
    this.silent(msg, reason, status);
    this.#pending++;
    this.#why = why;
    const now = Date.now();
    if (now - this.#lastLog >= LOG_INTERVAL_MS) {
      this.flush();
    } else if (this.#timer === undefined) {
      // One timer per reporter, so a burst that then stops is still reported promptly.
      this.#timer = setTimeout(() => this.flush(), LOG_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  /** Counts and settles without a log line (the caller has logged a summary). */
  silent(msg: LogMessage, reason: DropReason, status: number): void {
    this.counters.drop(reason);
    settle(msg, status);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === 0) return;
    this.#lastLog = Date.now();
    const n = this.#pending;
    this.#pending = 0;
    this.log.error(`dropped ${n} message${n === 1 ? '' : 's'}: ${this.#why}`);
  }
}
