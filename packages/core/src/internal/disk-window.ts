import type { LogMessage } from '../log-message.js';

/**
 * The in-memory part of a disk buffer: the oldest queued messages, each with
 * the end of its record (segment id, offset), in three parallel arrays with
 * the MemoryQueue's cursors (ack base ≤ head ≤ end), so pop, ack and rewind
 * move indexes and copy nothing per message.
 */
export class MemoryWindow {
  #items: (LogMessage | undefined)[] = [];
  #segOf: number[] = [];
  #endOf: number[] = [];
  #base = 0; // first unacknowledged message
  #head = 0; // next message to pop
  /** After {@link ack}: the end of the last acknowledged record. */
  ackedSegment = 0;
  ackedOffset = 0;

  /** Messages held: backlog and waiting. */
  get size(): number {
    return this.#items.length - this.#base;
  }

  get waiting(): number {
    return this.#items.length - this.#head;
  }

  get backlog(): number {
    return this.#head - this.#base;
  }

  push(msg: LogMessage, segment: number, end: number): void {
    this.#items.push(msg);
    this.#segOf.push(segment);
    this.#endOf.push(end);
  }

  pop(): LogMessage | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head++] : undefined;
  }

  /** Removes the backlog, visiting each message; false when it was empty. */
  ack(visit: (msg: LogMessage) => void): boolean {
    const end = this.#head;
    if (end === this.#base) return false;
    const items = this.#items;
    for (let i = this.#base; i < end; i++) {
      const m = items[i]!;
      items[i] = undefined;
      visit(m);
    }
    this.ackedSegment = this.#segOf[end - 1]!;
    this.ackedOffset = this.#endOf[end - 1]!;
    this.#base = end;
    this.#compact();
    return true;
  }

  rewind(): void {
    this.#head = this.#base;
  }

  /** Removes everything, visiting each message, backlog first. */
  drain(visit: (msg: LogMessage) => void): void {
    const items = this.#items;
    const base = this.#base;
    this.#reset();
    for (let i = base; i < items.length; i++) visit(items[i]!);
  }

  #reset(): void {
    this.#items = [];
    this.#segOf = [];
    this.#endOf = [];
    this.#base = this.#head = 0;
  }

  #compact(): void {
    // Amortised O(1): copy the live tail only once the dead prefix dominates.
    const base = this.#base;
    if (base === this.#items.length) this.#reset();
    else if (base > 4096 && base * 2 > this.#items.length) {
      this.#items = this.#items.slice(base);
      this.#segOf = this.#segOf.slice(base);
      this.#endOf = this.#endOf.slice(base);
      this.#head -= base;
      this.#base = 0;
    }
  }
}
