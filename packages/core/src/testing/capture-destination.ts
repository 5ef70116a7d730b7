import { LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';

/**
 * An in-memory destination for tests: keeps every delivered message, in
 * order. `waitFor(n)` resolves once `n` messages have arrived.
 */
export class CaptureDestination extends LogDestination<Record<string, never>> {
  /** Every message received, in order. */
  readonly messages: LogMessage[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  override send(msg: LogMessage): 3 {
    this.messages.push(msg);
    if (this.#waiters.length > 0) this.#notify();
    return this.SUCCESS;
  }

  /** Resolves once at least `n` messages have been received. */
  waitFor(n: number): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  #notify(): void {
    const count = this.messages.length;
    this.#waiters = this.#waiters.filter((w) => {
      if (count < w.n) return true;
      w.resolve();
      return false;
    });
  }
}
