import type { AckStatus } from '@logpath/core';

/**
 * Most messages in one chunk. A bookmark is `chunkId * CHUNK_SPAN + index`:
 * a plain number, so posting a message allocates nothing for tracking.
 */
export const CHUNK_SPAN = 2 ** 21;

const PENDING = 0;
const DONE = 1; // delivered or dropped: nothing left to do for it
const ABORTED = 2; // not delivered: must be read again, so it holds the prefix back

/** A record as the tracker needs it: its offset (kafkajs gives int64 offsets as strings). */
export interface OffsetRecord {
  readonly offset: string;
}

/** One topic-partition owned in the current group generation. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Chunks not yet wholly done, in posting (offset) order. */
  readonly chunks: Chunk[];
  /** The offset to commit next (last done offset + 1), once something is done. */
  next: string | undefined;
  /** The last offset committed. */
  committed: string | undefined;
}

/** An offset to commit: Kafka's "next record to read" for the partition. */
export interface PendingCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * A slice of one Kafka batch, posted as one logpath batch and tracked until
 * every message in it is acknowledged.
 */
export class Chunk {
  /** The bookmark of the chunk's first message; message i has `base + i`. */
  readonly base: number;
  readonly #records: readonly OffsetRecord[];
  readonly #from: number;
  readonly #states: Uint8Array;
  #settled = 0;
  #prefix = 0;
  #waiter: (() => void) | undefined;

  constructor(
    readonly id: number,
    records: readonly OffsetRecord[],
    from: number,
    readonly length: number,
  ) {
    this.base = id * CHUNK_SPAN;
    this.#records = records;
    this.#from = from;
    this.#states = new Uint8Array(length);
  }

  /** True once every message is acknowledged, whatever the outcome. */
  get settled(): boolean {
    return this.#settled === this.length;
  }

  /** Messages done (delivered or dropped) from the start, without a gap. */
  get prefix(): number {
    return this.#prefix;
  }

  /** Messages not yet acknowledged. */
  get pending(): number {
    return this.length - this.#settled;
  }

  /** The Kafka offset of message `i` of this chunk. */
  offsetAt(i: number): string {
    return this.#records[this.#from + i]!.offset;
  }

  /** Records the outcome of message `i`; a repeated ack is ignored. */
  ack(i: number, done: boolean): void {
    const states = this.#states;
    if (i < 0 || i >= this.length || states[i] !== PENDING) return;
    states[i] = done ? DONE : ABORTED;
    this.#settled++;
    if (done && i === this.#prefix) {
      let p = i + 1;
      while (p < this.length && states[p] === DONE) p++;
      this.#prefix = p;
    }
    if (this.#settled === this.length) this.#waiter?.();
  }

  /** Resolves once settled, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.settled || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#waiter = done;
    });
  }
}

function key(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

/**
 * Per-partition contiguous-offset tracking for `commit: 'delivered'`. A
 * partition's commit point only moves over messages that are done; an
 * aborted or unacknowledged message holds it back, whatever is acknowledged
 * after it. One tracker serves every partition of a source; `reset()` starts
 * a new group generation (chunks of the old one keep settling, but no longer
 * move any commit point).
 */
export class OffsetTracker {
  readonly #chunks = new Map<number, Chunk>();
  #partitions = new Map<string, PartitionState>();
  #nextId = 1;
  #last: Chunk | undefined;
  #inFlight = 0;

  /** Messages posted and not yet acknowledged, over every chunk. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts tracking `records[from, to)` of `topic`/`partition`, which must
   * follow what was opened before for that partition.
   */
  open(
    topic: string,
    partition: number,
    records: readonly OffsetRecord[],
    from: number,
    to: number,
  ): Chunk {
    const length = to - from;
    if (length < 1 || length > CHUNK_SPAN)
      throw new RangeError(`a chunk holds 1 to ${CHUNK_SPAN} records, got ${length}`);
    const chunk = new Chunk(this.#nextId++, records, from, length);
    this.#chunks.set(chunk.id, chunk);
    this.#inFlight += length;
    const k = key(topic, partition);
    let ps = this.#partitions.get(k);
    if (ps === undefined) {
      ps = { topic, partition, chunks: [], next: undefined, committed: undefined };
      this.#partitions.set(k, ps);
    }
    ps.chunks.push(chunk);
    return chunk;
  }

  /** The ack callback: `bookmark` is what {@link Chunk.base} handed out. */
  ack(bookmark: number, status: AckStatus): void {
    const id = Math.floor(bookmark / CHUNK_SPAN);
    let c = this.#last;
    if (c === undefined || c.id !== id) {
      c = this.#chunks.get(id);
      if (c === undefined) return;
      this.#last = c;
    }
    const before = c.pending;
    c.ack(bookmark - c.base, status !== 'aborted');
    if (c.pending !== before) this.#inFlight--;
    if (c.settled) {
      this.#chunks.delete(id);
      if (this.#last === c) this.#last = undefined;
    }
  }

  /** The offset to commit for the partition, when it moved past the last commit. */
  committable(topic: string, partition: number): string | undefined {
    const ps = this.#partitions.get(key(topic, partition));
    if (ps === undefined) return undefined;
    const chunks = ps.chunks;
    let last: string | undefined;
    while (chunks.length > 0) {
      const c = chunks[0]!;
      if (c.prefix > 0) last = c.offsetAt(c.prefix - 1);
      if (c.prefix < c.length) break;
      chunks.shift(); // wholly done: the prefix may go on into the next chunk
    }
    if (last !== undefined) ps.next = (BigInt(last) + 1n).toString();
    return ps.next !== undefined && ps.next !== ps.committed ? ps.next : undefined;
  }

  /** Records a successful commit of `offset`. */
  committed(topic: string, partition: number, offset: string): void {
    const ps = this.#partitions.get(key(topic, partition));
    if (ps !== undefined && (ps.committed === undefined || BigInt(offset) > BigInt(ps.committed))) {
      ps.committed = offset;
    }
  }

  /** Every commit still owed, over all partitions. */
  pendingCommits(): PendingCommit[] {
    const out: PendingCommit[] = [];
    for (const ps of this.#partitions.values()) {
      const offset = this.committable(ps.topic, ps.partition);
      if (offset !== undefined) out.push({ topic: ps.topic, partition: ps.partition, offset });
    }
    return out;
  }

  /** Forgets every partition (a new group generation); chunks in flight still settle. */
  reset(): void {
    this.#partitions = new Map();
  }
}
