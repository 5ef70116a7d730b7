import type { AckStatus } from '../ack-tracker.js';
import { InstantAckTracker } from '../ack-tracker.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';

/** Options of {@link ArraySource}. */
export interface ArraySourceOptions {
  /** What to post, in order: strings become MESSAGE. */
  messages: readonly (LogMessage | string)[];
}

/**
 * A source for tests: posts the given messages (honouring the window), then
 * waits until it is asked to exit. Every message gets its index as bookmark,
 * and `acks[i]` holds how message `i` ended once it is acknowledged.
 */
export class ArraySource extends LogSource<ArraySourceOptions> {
  /** How each message ended, by index; unset while in flight. */
  readonly acks: AckStatus[] = [];
  /** Number of messages acknowledged so far. */
  acked = 0;
  #messages: readonly (LogMessage | string)[] = [];
  #done: (() => void) | undefined;
  #total = 0;

  override init(options: ArraySourceOptions): void {
    this.#messages = options.messages;
    this.#total = options.messages.length;
    this.ackTracker = new InstantAckTracker((bookmark, status) => {
      this.acks[bookmark as number] = status;
      if (++this.acked === this.#total) this.#done?.();
    });
  }

  override async run(): Promise<void> {
    const list = this.#messages;
    for (let i = 0; i < list.length && !this.signal.aborted; i++) {
      const m = list[i]!;
      const msg = typeof m === 'string' ? new LogMessage(m, i) : m.setBookmark(i);
      if (!this.postMessage(msg)) await this.waitForWindow();
    }
    if (!this.signal.aborted) {
      await new Promise<void>((resolve) =>
        this.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  }

  /** Resolves once every message is acknowledged (delivered, dropped or aborted). */
  allAcked(): Promise<void> {
    if (this.acked >= this.#total) return Promise.resolve();
    return new Promise((resolve) => (this.#done = resolve));
  }
}
