import type { Persist } from '@logpath/core';

const KEY = 'cursor';

/**
 * The durable position of a poller: the cursor after the last page whose
 * messages were all delivered. Acks arrive per message; a new position is
 * written on the next event-loop turn, but never sooner than `saveInterval`
 * ms after the previous write, because each write is an fsync that blocks the
 * loop. `close()` writes the last position before the source goes.
 */
export class CursorStore {
  readonly #persist: Persist;
  readonly #interval: number;
  #written: string | undefined;
  #writtenAt = -Infinity;
  #pending: string | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** @param persist - the poller's `new Persist(this.persistName)`. */
  constructor(persist: Persist, saveInterval: number) {
    this.#persist = persist;
    this.#interval = saveInterval;
    const saved = this.#persist.get(KEY);
    this.#written = typeof saved === 'string' ? saved : undefined;
  }

  /** The saved cursor, or undefined when nothing is saved yet. */
  get saved(): string | undefined {
    return this.#written;
  }

  /** Records the bookmark of the delivered prefix (`null`: before any cursor, nothing to save). */
  advance(cursor: string | null): void {
    // After close, a late ack of a stopped instance must not overwrite its successor's position.
    if (this.#closed || cursor === null) return;
    if (cursor === (this.#pending ?? this.#written)) return;
    this.#pending = cursor;
    if (this.#immediate !== undefined || this.#timer !== undefined) return;
    const wait = this.#writtenAt + this.#interval - performance.now();
    if (wait <= 0) this.#immediate = setImmediate(this.#flush);
    else this.#timer = setTimeout(this.#flush, wait).unref();
  }

  /** Writes the pending position now and ignores later acks. */
  close(): void {
    this.#flush();
    this.#closed = true;
  }

  readonly #flush = (): void => {
    clearImmediate(this.#immediate);
    clearTimeout(this.#timer);
    this.#immediate = this.#timer = undefined;
    const cursor = this.#pending;
    this.#pending = undefined;
    if (cursor === undefined || cursor === this.#written) return;
    this.#persist.set(KEY, cursor);
    this.#written = cursor;
    this.#writtenAt = performance.now();
  };
}
