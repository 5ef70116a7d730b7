import { unlink } from 'node:fs';
import { STATUS_DELIVERED, STATUS_DROPPED } from '../ack-tracker.js';
import type { ResolvedDiskBuffer } from '../disk-buffer-options.js';
import { ErrorCode, LifecycleError, LogpathError } from '../errors.js';
import type { LogMessage } from '../log-message.js';
import type { Logger } from '../logger.js';
import type { Counters } from '../stats.js';
import { DiskCursor } from './disk-cursor.js';
import { MemoryWindow } from './disk-window.js';
import { PositionFile, recoverBuffer } from './disk-recovery.js';
import { segmentPath, type SegmentTable } from './disk-segment.js';
import { SegmentWriter } from './disk-writer.js';
import type { MessageQueue } from './message-queue.js';
import { settle } from './settle.js';

/** Options of {@link DiskQueue.open}. */
export interface DiskQueueOptions extends ResolvedDiskBuffer {
  readonly logger: Logger;
  /** Where damaged records are counted (dropped: `error`). */
  readonly counters?: Counters;
}

/**
 * A destination queue kept in segment files (see DiskBufferOptions). The
 * oldest queued messages — up to `memoryMessages`, backlog included — are
 * also held in memory as detached copies; the rest are read back from the
 * files, in order, when the destination gets to them. Acknowledging the
 * backlog moves the read position, saved at most every 100 ms, and deletes
 * the segments that are fully delivered.
 */
export class DiskQueue implements MessageQueue {
  readonly persistent = true;
  /** Where damaged records are counted; the pipeline points it at the current driver's counters. */
  counters: Counters | undefined;
  readonly #o: DiskQueueOptions;
  readonly #log: Logger;
  readonly #table: SegmentTable;
  readonly #writer: SegmentWriter;
  readonly #cursor: DiskCursor; // where the first disk-only record starts
  readonly #unlock: () => void;
  readonly #position: PositionFile;
  readonly #mem = new MemoryWindow();
  #diskOnly = 0; // waiting messages that are only in the files
  #damaged = 0;
  #closed = false;

  private constructor(o: DiskQueueOptions) {
    this.#o = o;
    this.#log = o.logger;
    this.counters = o.counters;
    const { table, lastId, start, records, damaged, skippedBytes, unlock } = recoverBuffer(o.dir);
    this.#unlock = unlock;
    this.#table = table;
    this.#writer = new SegmentWriter(lastId + 1, table, {
      dir: o.dir,
      reliable: o.reliable,
      logger: o.logger,
      // At least four segments per buffer, so delivering always frees space below maxBytes.
      segmentBytes: Math.max(1, Math.min(o.segmentBytes, Math.floor(o.maxBytes / 4))),
    });
    const onDamage = (n: number, detail: string): void => {
      this.#diskOnly = Math.max(0, this.#diskOnly - n);
      this.#reportDamage(n, detail);
    };
    this.#cursor = new DiskCursor(o.dir, table, this.#writer, lastId, onDamage, start);
    this.#position = new PositionFile(o.dir, start, o.logger);
    this.#diskOnly = records;
    if (damaged > 0) this.#reportDamage(damaged, `${skippedBytes} bytes left by the previous run`);
    if (records > 0) {
      this.#log.info(
        `disk buffer ${o.dir}: ${records} messages from the previous run are sent first`,
      );
    }
  }

  /**
   * Opens (creating it if needed) the buffer in `options.dir` and counts the
   * records the previous run left; damaged records are skipped, logged and
   * counted. Verifies checksums but decodes nothing yet.
   * @throws LogpathError ERR_PERSIST when the directory is in use or cannot be read.
   */
  static open(options: DiskQueueOptions): DiskQueue {
    try {
      return new DiskQueue(options);
    } catch (err) {
      throw new LogpathError(
        ErrorCode.PERSIST,
        `cannot open the disk buffer in ${options.dir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The options it was opened with. */
  get options(): ResolvedDiskBuffer {
    return this.#o;
  }

  /** Damaged records skipped so far (at open and while reading back). */
  get damagedRecords(): number {
    return this.#damaged;
  }

  get length(): number {
    return this.#mem.waiting + this.#diskOnly;
  }

  get backlog(): number {
    return this.#mem.backlog;
  }

  /** Bytes of the segment files, including bytes not yet written. */
  get bytes(): number {
    return this.#table.bytes + this.#writer.pendingBytes;
  }

  /** Full when the files hold `maxBytes`; `logFifoSize` does not apply. */
  isFull(_logFifoSize: number): boolean {
    return this.#table.bytes + this.#writer.pendingBytes >= this.#o.maxBytes;
  }

  /**
   * Takes over the destination's share of `msg`: appends its record, keeps
   * a detached copy while memory allows, and settles `msg` once the record is
   * durable (reliable) or at once.
   * @throws LifecycleError after {@link close}.
   */
  push(msg: LogMessage): void {
    if (this.#closed) throw new LifecycleError(`the disk buffer in ${this.#o.dir} is closed`);
    const w = this.#writer;
    let size: number;
    try {
      size = w.append(msg);
    } catch (err) {
      this.#log.error(`disk buffer ${this.#o.dir}: cannot store a message; dropped`, err);
      this.counters?.drop('error');
      settle(msg, STATUS_DROPPED);
      return;
    }
    if (this.#diskOnly === 0 && this.#mem.size < this.#o.memoryMessages)
      this.#mem.push(msg.clone(), w.segment, w.end);
    else if (this.#diskOnly++ === 0) {
      this.#cursor.seek(w.segment, w.end - size);
    }
    if (!this.#o.reliable) settle(msg, STATUS_DELIVERED);
  }

  pop(): LogMessage | undefined {
    const m = this.#mem.pop();
    if (m !== undefined || this.#diskOnly === 0 || !this.#refill()) return m;
    return this.#mem.pop();
  }

  ackBacklog(visit: (msg: LogMessage) => void): void {
    const mem = this.#mem;
    if (!mem.ack(visit)) return;
    this.#position.set(mem.ackedSegment, mem.ackedOffset);
    this.#release();
  }

  rewind(): void {
    this.#mem.rewind();
  }

  /** Removes every message: visits those in memory and gives up what is only in the files. */
  drainAll(visit: (msg: LogMessage) => void): void {
    this.#mem.drain(visit);
    this.#diskOnly = 0;
    this.#position.set(this.#writer.segment, this.#writer.end);
    this.#cursor.seek(this.#writer.segment, this.#writer.end);
    this.#release();
  }

  /**
   * Writes and fsyncs what is pending (settling those messages), saves the
   * read position, closes the files and releases the directory. Idempotent.
   * @throws the file system's error when the last write fails.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cursor.close();
    try {
      await this.#writer.close();
    } finally {
      try {
        await this.#position.close();
      } finally {
        this.#unlock();
      }
    }
  }

  /** Reads records after the in-memory part; true when at least one was added. */
  #refill(): boolean {
    if (this.#closed) return false;
    const want = Math.max(1, this.#o.memoryMessages - this.#mem.size);
    const c = this.#cursor;
    let got = 0;
    while (got < want && this.#diskOnly > 0) {
      let msg: LogMessage | undefined;
      try {
        msg = c.next();
      } catch (err) {
        // Left waiting: the next pop tries again.
        this.#log.error(`disk buffer ${this.#o.dir}: cannot read back queued messages`, err);
        break;
      }
      if (msg === undefined) {
        this.#log.error(
          `disk buffer ${this.#o.dir}: ${this.#diskOnly} messages counted but not found`,
        );
        this.#diskOnly = 0;
        break;
      }
      if (this.#diskOnly > 0) this.#diskOnly--; // damage found on the way may have taken the count down
      this.#mem.push(msg, c.segment, c.offset);
      got++;
    }
    return got > 0;
  }

  /** Deletes the segments behind the read position (never the one being written). */
  #release(): void {
    const t = this.#table;
    const { segment, offset } = this.#position;
    for (let id = t.first; id !== undefined && id !== this.#writer.segment; id = t.first) {
      if (id > segment || (id === segment && offset < t.get(id)!.end)) break;
      t.shift();
      this.#cursor.forget(id);
      // Point past it, so a torn tail in it is not scanned (and reported) again.
      if (id === segment) this.#position.set(t.first ?? this.#writer.segment, 0);
      // Off the event loop; a file left behind by a crash is deleted at the next open.
      unlink(segmentPath(this.#o.dir, id), (err) => {
        if (err) this.#log.warn(`disk buffer ${this.#o.dir}: cannot delete segment ${id}`, err);
      });
    }
  }

  #reportDamage(n: number, detail: string): void {
    this.#damaged += n;
    this.counters?.drop('error', n);
    this.#log.warn(
      `disk buffer ${this.#o.dir}: skipped ${n} damaged record${n === 1 ? '' : 's'} (${detail}); ` +
        'a write torn by a crash, or a damaged file',
    );
  }
}
