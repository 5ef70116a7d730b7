import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { STATUS_ABORTED, STATUS_DELIVERED } from '../ack-tracker.js';
import type { LogMessage } from '../log-message.js';
import type { Logger } from '../logger.js';
import { segmentPath, type SegmentTable } from './disk-segment.js';
import { ByteWriter } from './byte-writer.js';
import { appendRecord } from './record-codec.js';
import { settle } from './settle.js';

const BUFFER_BYTES = 1 << 20; // also the size that makes an unreliable buffer write out
const LAZY_FLUSH_MS = 100;
const RETRY_MS = 1000;

/** Options of {@link SegmentWriter}. */
export interface SegmentWriterOptions {
  readonly dir: string;
  readonly reliable: boolean;
  readonly segmentBytes: number;
  readonly logger: Logger;
}

/**
 * Appends records to the newest segment of a disk buffer. Reliable mode is a
 * group commit: records are encoded into one buffer, written once per
 * event-loop turn (setImmediate) with one write and made durable with one
 * fsync off the loop (records pushed meanwhile wait for the next one); then
 * their messages — the destination's share — are settled. Unreliable mode
 * writes every 100 ms or 1 MiB, never fsyncs, and the caller settles.
 */
export class SegmentWriter {
  readonly #o: SegmentWriterOptions;
  readonly #table: SegmentTable;
  readonly #w = new ByteWriter(BUFFER_BYTES);
  #id: number;
  #fd: number | undefined;
  #written = 0;
  #awaiting: LogMessage[] = []; // reliable: pushed messages not yet settled, oldest first
  #pushed = 0; // sequence numbers: pushed ≥ written ≥ settled
  #writtenSeq = 0;
  #settled = 0;
  #scheduled = false;
  #syncing = false;
  #unsynced: number[] = []; // reliable: fds of rotated segments, closed once fsynced
  #dirFd: number | undefined;
  #dirDirty = false; // a segment was created since the directory was last fsynced
  #timer: NodeJS.Timeout | undefined;
  #onSynced: (() => void) | undefined;
  #closed = false;

  constructor(firstId: number, table: SegmentTable, options: SegmentWriterOptions) {
    this.#id = firstId;
    this.#table = table;
    this.#o = options;
  }

  /** Id of the segment that records are appended to. */
  get segment(): number {
    return this.#id;
  }

  /** Bytes of the current segment already in its file. */
  get written(): number {
    return this.#written;
  }

  /** Logical end of the current segment: written plus pending bytes. */
  get end(): number {
    return this.#written + this.#w.pos;
  }

  /** Encoded bytes not yet written to a file. */
  get pendingBytes(): number {
    return this.#w.pos;
  }

  /**
   * Appends `msg` as a record (starting a new segment first when the current
   * one is full); returns the record's size. Reliable: takes over the
   * settlement of `msg`. Unreliable: the caller settles it.
   * @throws RangeError when the message is too large for a record (nothing is appended).
   */
  append(msg: LogMessage): number {
    if (this.end >= this.#o.segmentBytes) this.#rotate();
    const size = appendRecord(this.#w, msg);
    if (this.#o.reliable) {
      this.#awaiting.push(msg);
      this.#pushed++;
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#commit);
      }
    } else {
      if (this.#w.pos >= BUFFER_BYTES) this.#tryWriteOut();
      else if (this.#timer === undefined) {
        this.#timer = setTimeout(this.#lazyFlush, LAZY_FLUSH_MS);
        this.#timer.unref();
      }
    }
    return size;
  }

  /**
   * Writes the pending bytes to the current segment (no fsync).
   * @throws the file system's error; the file is cut back so no partial record stays.
   */
  writeOut(): void {
    const w = this.#w;
    const n = w.pos;
    if (n === 0) return;
    if (this.#fd === undefined) {
      this.#fd = openSync(segmentPath(this.#o.dir, this.#id), 'wx', 0o640);
      this.#table.add(this.#id, 0);
      this.#dirDirty = true; // the new file's name must survive a crash too
    }
    const fd = this.#fd;
    try {
      for (let off = 0; off < n;) off += writeSync(fd, w.buf, off, n - off);
    } catch (err) {
      try {
        ftruncateSync(fd, this.#written);
      } catch {
        // The reader skips a torn record anyway.
      }
      throw err;
    }
    this.#table.grow(this.#id, n);
    this.#written += n;
    w.pos = 0;
    this.#writtenSeq = this.#pushed;
    if (w.buf.length > 8 * BUFFER_BYTES) w.buf = Buffer.allocUnsafe(BUFFER_BYTES); // give a burst's memory back
  }

  /**
   * Writes and fsyncs everything, settles every pushed message, and closes
   * the files. Messages whose record could not be written are settled as
   * aborted. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#syncing) await new Promise<void>((resolve) => (this.#onSynced = resolve));
    const open = (): number[] =>
      this.#fd === undefined ? this.#unsynced : [...this.#unsynced, this.#fd];
    try {
      this.writeOut(); // may open the file
      for (const fd of open()) fsyncSync(fd);
      if (this.#dirDirty) fsyncSync((this.#dirFd ??= openSync(this.#o.dir, 'r')));
      this.#settleUpTo(this.#writtenSeq);
    } finally {
      for (const m of this.#awaiting.splice(0)) settle(m, STATUS_ABORTED);
      for (const fd of open()) closeSync(fd);
      if (this.#dirFd !== undefined) closeSync(this.#dirFd);
      this.#fd = this.#dirFd = undefined;
      this.#unsynced = [];
    }
  }

  #rotate(): void {
    try {
      this.writeOut();
    } catch (err) {
      // Keep appending to the current segment; the next commit retries the write.
      this.#o.logger.error(`disk buffer ${this.#o.dir}: cannot finish segment ${this.#id}`, err);
      return;
    }
    const fd = this.#fd;
    this.#fd = undefined;
    this.#id++;
    this.#written = 0;
    if (fd === undefined) return;
    // Reliable: the next commit fsyncs it (off the event loop) before settling its messages.
    if (this.#o.reliable) this.#unsynced.push(fd);
    else closeSync(fd);
  }

  readonly #commit = (): void => {
    this.#scheduled = false;
    if (this.#syncing || this.#closed) return;
    if (!this.#tryWriteOut() || this.#writtenSeq === this.#settled) return;
    const rotated = this.#unsynced;
    this.#unsynced = [];
    const fds = this.#fd === undefined ? rotated.slice() : [...rotated, this.#fd];
    const dir = this.#dirDirty;
    this.#dirDirty = false;
    if (dir) fds.push((this.#dirFd ??= openSync(this.#o.dir, 'r')));
    const upto = this.#writtenSeq;
    this.#syncing = true;
    let left = fds.length;
    let error: NodeJS.ErrnoException | null = null;
    if (left === 0) return this.#synced(null, upto, rotated, dir);
    const done = (err: NodeJS.ErrnoException | null): void => {
      error ??= err;
      if (--left === 0) this.#synced(error, upto, rotated, dir);
    };
    for (const fd of fds) fsync(fd, done);
  };

  #synced(err: NodeJS.ErrnoException | null, upto: number, rotated: number[], dir: boolean): void {
    this.#syncing = false;
    if (err) {
      this.#unsynced = rotated.concat(this.#unsynced);
      this.#dirDirty ||= dir;
      this.#o.logger.error(`disk buffer ${this.#o.dir}: fsync failed; retrying`, err);
    } else {
      for (const fd of rotated) closeSync(fd);
      this.#settleUpTo(upto);
    }
    const done = this.#onSynced;
    this.#onSynced = undefined;
    done?.();
    if (this.#closed || this.#scheduled) return;
    if (this.#w.pos > 0 || this.#writtenSeq > this.#settled) {
      this.#scheduled = true;
      if (err) setTimeout(this.#commit, RETRY_MS).unref();
      else setImmediate(this.#commit);
    }
  }

  /** Writes out; on failure logs and retries later. False when it failed. */
  #tryWriteOut(): boolean {
    try {
      this.writeOut();
      return true;
    } catch (err) {
      this.#o.logger.error(`disk buffer ${this.#o.dir}: write failed; retrying in 1 s`, err);
      clearTimeout(this.#timer);
      this.#timer = setTimeout(this.#o.reliable ? this.#commit : this.#lazyFlush, RETRY_MS);
      this.#timer.unref();
      this.#scheduled = this.#o.reliable;
      return false;
    }
  }

  readonly #lazyFlush = (): void => {
    this.#timer = undefined;
    if (!this.#closed) this.#tryWriteOut();
  };

  /** Settles the messages up to sequence number `upto` (exclusive), oldest first. */
  #settleUpTo(upto: number): void {
    const k = upto - this.#settled;
    if (k <= 0) return;
    const a = this.#awaiting;
    // Swap first: a settle may make a source post again, which pushes here.
    this.#awaiting = k === a.length ? [] : a.slice(k);
    this.#settled = upto;
    for (let i = 0; i < k; i++) settle(a[i]!, STATUS_DELIVERED);
  }
}
