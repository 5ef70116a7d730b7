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

/** Slots an emptied queue keeps for the next messages (512 KiB of references). */
const KEEP_SLOTS = 65_536;

/**
 * The in-memory queue: one array with three cursors (ack base ≤ head ≤ end),
 * so pop, ack and rewind move indexes and copy nothing per message. The array
 * keeps its size once emptied: a queue that fills and drains every turn does
 * not grow a new one each time.
 */
export class MemoryQueue implements MessageQueue {
  #items: (LogMessage | undefined)[] = [];
  #base = 0; // first unacknowledged message
  #head = 0; // next message to pop
  #end = 0; // one past the last message
  readonly persistent = false;

  get length(): number {
    return this.#end - this.#head;
  }

  get backlog(): number {
    return this.#head - this.#base;
  }

  isFull(logFifoSize: number): boolean {
    return this.#end - this.#head >= logFifoSize;
  }

  push(msg: LogMessage): void {
    const items = this.#items;
    const end = this.#end++;
    if (end < items.length) items[end] = msg;
    else items.push(msg);
  }

  pop(): LogMessage | undefined {
    if (this.#head >= this.#end) return undefined;
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
    const end = this.#end;
    this.#items = [];
    for (let i = this.#base; i < end; i++) visit(items[i]!);
    this.#base = this.#head = this.#end = 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #compact(): void {
    const base = this.#base;
    if (base === this.#end) {
      // Empty: start again at the front (every slot is already cleared),
      // and give back what a burst grew.
      this.#base = this.#head = this.#end = 0;
      if (this.#items.length > KEEP_SLOTS) this.#items = [];
    } else if (base > 4096 && base * 2 > this.#end) {
      // Amortised O(1): copy the live tail only once the dead prefix dominates.
      this.#items = this.#items.slice(base, this.#end);
      this.#head -= base;
      this.#end -= base;
      this.#base = 0;
    }
  }
}
