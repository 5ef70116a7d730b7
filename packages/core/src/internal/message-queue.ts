import type { LogMessage } from '../log-message.js';

/**
 * A destination's queue. Messages move from "waiting" to the "backlog" when
 * the driver pops them for sending, and leave the backlog when the batch is
 * acknowledged (delivered or dropped). A rewind puts the whole backlog back in
 * front of the waiting messages, in order, for a resend.
 */
export interface MessageQueue {
  /** Messages waiting to be sent. */
  readonly length: number;
  /** Messages sent but not yet acknowledged. */
  readonly backlog: number;
  /** True when the messages outlive the process (a disk buffer): they are not lost at stop. */
  readonly persistent: boolean;
  /** Whether the queue is full; a memory queue holds `logFifoSize` messages. */
  isFull(logFifoSize: number): boolean;
  /** Adds a message; a persistent queue takes over the destination's share of it. */
  push(msg: LogMessage): void;
  /** Takes the next waiting message into the backlog. */
  pop(): LogMessage | undefined;
  /** Removes the whole backlog, calling `visit` on each message in order. */
  ackBacklog(visit: (msg: LogMessage) => void): void;
  /** Moves the backlog back in front of the waiting messages. */
  rewind(): void;
  /** Removes every message (backlog first), calling `visit` on each. */
  drainAll(visit: (msg: LogMessage) => void): void;
  /** Releases files at stop (not at a reload handover); the queue is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * The in-memory queue: one array with three cursors (ack base ≤ head ≤ end),
 * so pop, ack and rewind move indexes and copy nothing per message.
 */
export class MemoryQueue implements MessageQueue {
  #items: (LogMessage | undefined)[] = [];
  #base = 0; // first unacknowledged message
  #head = 0; // next message to pop
  readonly persistent = false;

  get length(): number {
    return this.#items.length - this.#head;
  }

  get backlog(): number {
    return this.#head - this.#base;
  }

  isFull(logFifoSize: number): boolean {
    return this.#items.length - this.#head >= logFifoSize;
  }

  push(msg: LogMessage): void {
    this.#items.push(msg);
  }

  pop(): LogMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    return this.#items[this.#head++];
  }

  ackBacklog(visit: (msg: LogMessage) => void): void {
    const items = this.#items;
    const end = this.#head;
    for (let i = this.#base; i < end; i++) {
      const m = items[i]!;
      items[i] = undefined;
      visit(m);
    }
    this.#base = end;
    this.#compact();
  }

  rewind(): void {
    this.#head = this.#base;
  }

  drainAll(visit: (msg: LogMessage) => void): void {
    const items = this.#items;
    this.#items = [];
    for (let i = this.#base; i < items.length; i++) visit(items[i]!);
    this.#base = 0;
    this.#head = 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #compact(): void {
    // Amortised O(1): copy the live tail only once the dead prefix dominates.
    const base = this.#base;
    if (base === this.#items.length) {
      this.#items = [];
      this.#base = this.#head = 0;
    } else if (base > 4096 && base * 2 > this.#items.length) {
      this.#items = this.#items.slice(base);
      this.#head -= base;
      this.#base = 0;
    }
  }
}
