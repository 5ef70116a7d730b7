import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { writeFileAtomicSync } from './atomic-file.js';
import {
  listSegments,
  SegmentReader,
  segmentPath,
  SegmentTable,
  writeFileAtomic,
} from './disk-segment.js';

/**
 * A disk buffer's directory: the lock that keeps one writer per directory,
 * the saved read position, and the scan that counts what the previous run
 * left.
 */

/** The read position: the first record not yet delivered. */
export interface Position {
  segment: number;
  offset: number;
}

/** What {@link recoverBuffer} found. */
export interface Recovered {
  readonly table: SegmentTable;
  /** Highest segment id seen; new segments start after it. */
  readonly lastId: number;
  /** Where reading starts: the first live segment (or the next new one) and an offset in it. */
  readonly start: Position;
  /** Records to deliver. */
  readonly records: number;
  /** Damaged regions skipped, and their bytes. */
  readonly damaged: number;
  readonly skippedBytes: number;
  /** Releases the directory's lock. */
  readonly unlock: () => void;
}

const POSITION_FILE = 'state.json';
const LOCK_FILE = 'lock';
const openDirs = new Set<string>();

const SAVE_EVERY_MS = 100;

/**
 * The saved read position: {@link set} is cheap and saves atomically at
 * most every 100 ms off the event loop; {@link close} saves once more.
 */
export class PositionFile {
  readonly #file: string;
  #pos: Position;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #closed = false;

  constructor(
    dir: string,
    start: Position,
    private readonly log: Logger,
  ) {
    this.#file = join(dir, POSITION_FILE);
    this.#pos = { ...start };
  }

  get segment(): number {
    return this.#pos.segment;
  }

  get offset(): number {
    return this.#pos.offset;
  }

  set(segment: number, offset: number): void {
    this.#pos.segment = segment;
    this.#pos.offset = offset;
    this.#dirty = true;
    if (this.#timer !== undefined || this.#saving !== undefined || this.#closed) return;
    this.#timer = setTimeout(this.#save, SAVE_EVERY_MS);
    this.#timer.unref();
  }

  /** Waits for a save in flight, then saves synchronously. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#saving;
    writeFileAtomicSync(this.#file, JSON.stringify(this.#pos));
  }

  readonly #save = (): void => {
    this.#timer = undefined;
    if (!this.#dirty || this.#closed) return;
    this.#dirty = false;
    this.#saving = writeFileAtomic(this.#file, JSON.stringify(this.#pos))
      .catch((err: unknown) => {
        this.#dirty = true;
        this.log.error(`cannot save the disk buffer's read position in ${this.#file}`, err);
      })
      .finally(() => {
        this.#saving = undefined;
        if (this.#dirty) this.set(this.#pos.segment, this.#pos.offset);
      });
  };
}

function readPosition(dir: string): Position | undefined {
  const file = join(dir, POSITION_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const v = JSON.parse(text) as Partial<Position>;
  if (
    !Number.isSafeInteger(v.segment) ||
    !Number.isSafeInteger(v.offset) ||
    v.segment! < 0 ||
    v.offset! < 0
  ) {
    throw new Error(`${file} is not a disk-buffer position: ${text.slice(0, 100)}`);
  }
  return v as Position;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `dir` if needed and takes its lock: one open buffer per directory
 * in this process, and none held by another live process (a lock left by a
 * killed process is taken over). Returns the function that releases it.
 * @throws Error when the buffer is in use.
 */
function lockBuffer(dir: string): () => void {
  if (openDirs.has(dir))
    throw new Error('the directory is already in use by another disk buffer of this process');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  let holder = NaN;
  try {
    holder = Number(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
    throw new Error(`the directory is in use by process ${holder} (lock file ${file})`);
  }
  const fd = openSync(file, 'w', 0o640);
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  openDirs.add(dir);
  return () => {
    openDirs.delete(dir);
    try {
      unlinkSync(file);
    } catch {
      // Gone already; the next open takes over a stale lock anyway.
    }
  };
}

/**
 * Takes the directory's lock (creating the directory if needed), reads the
 * position and scans every segment from it: records are counted and their
 * checksums verified (messages are not decoded), damage is skipped, segments
 * behind the position or without any good record are deleted.
 * @throws Error when the directory is in use or cannot be read (the lock is released).
 */
export function recoverBuffer(dir: string): Recovered {
  const unlock = lockBuffer(dir);
  try {
    return { ...scan(dir), unlock };
  } catch (err) {
    unlock();
    throw err;
  }
}

function scan(dir: string): Omit<Recovered, 'unlock'> {
  const pos = readPosition(dir) ?? { segment: 0, offset: 0 };
  const table = new SegmentTable();
  let lastId = pos.segment;
  let start: Position | undefined;
  let records = 0;
  let damaged = 0;
  let skippedBytes = 0;
  for (const s of listSegments(dir)) {
    lastId = Math.max(lastId, s.id);
    const from = s.id === pos.segment ? Math.min(pos.offset, s.size) : 0;
    let n = 0;
    let end = from;
    if (s.id >= pos.segment) {
      const r = new SegmentReader(segmentPath(dir, s.id), s.id, from);
      try {
        while (r.next(s.size)) {
          n++;
          end = r.pos;
        }
      } finally {
        r.close();
      }
      damaged += r.damaged;
      skippedBytes += r.skippedBytes;
    }
    if (n === 0) {
      unlinkSync(segmentPath(dir, s.id)); // delivered before, or nothing readable
      continue;
    }
    start ??= { segment: s.id, offset: from };
    // A torn tail after the last good record is never read again.
    table.add(s.id, s.size, end);
    records += n;
  }
  return {
    table,
    lastId,
    start: start ?? { segment: lastId + 1, offset: 0 },
    records,
    damaged,
    skippedBytes,
  };
}
