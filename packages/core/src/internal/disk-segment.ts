import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkFrame, FRAME_BAD, FRAME_INCOMPLETE, HEADER_BYTES } from './record-codec.js';

/**
 * Segment files of a disk buffer: `seg-<id>.log`, ids increasing, each an
 * append-only run of framed records. This file holds the naming, the table
 * of live segments, the sequential reader, and the atomic async file write
 * used for the read position.
 */

const NAME = /^seg-(\d{12})\.log$/;
const CHUNK_BYTES = 1 << 20;

/** Path of segment `id` in `dir`. */
export function segmentPath(dir: string, id: number): string {
  return join(dir, `seg-${String(id).padStart(12, '0')}.log`);
}

/** The segment files in `dir` with their sizes, by increasing id. */
export function listSegments(dir: string): { id: number; size: number }[] {
  const out: { id: number; size: number }[] = [];
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (m) out.push({ id: Number(m[1]), size: statSync(join(dir, name)).size });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** One live segment: bytes on disk, and where its readable records end. */
export interface SegmentInfo {
  size: number;
  /** End of the last record worth reading (a torn tail beyond it is ignored). */
  end: number;
}

/** The live segments of a buffer, oldest first, with the total bytes on disk. */
export class SegmentTable {
  readonly #info = new Map<number, SegmentInfo>();
  #ids: number[] = [];
  /** Bytes of every live segment file. */
  bytes = 0;

  add(id: number, size: number, end = size): void {
    this.#info.set(id, { size, end });
    this.#ids.push(id);
    this.bytes += size;
  }

  /** Records that `n` bytes were appended to segment `id`. */
  grow(id: number, n: number): void {
    const s = this.#info.get(id)!;
    s.size += n;
    s.end += n;
    this.bytes += n;
  }

  get(id: number): SegmentInfo | undefined {
    return this.#info.get(id);
  }

  /** The oldest live segment. */
  get first(): number | undefined {
    return this.#ids[0];
  }

  /** The first live segment after `id`. */
  after(id: number): number | undefined {
    for (const x of this.#ids) if (x > id) return x;
    return undefined;
  }

  /** Forgets the oldest segment (the caller deletes its file). */
  shift(): number | undefined {
    const id = this.#ids.shift();
    if (id === undefined) return undefined;
    this.bytes -= this.#info.get(id)!.size;
    this.#info.delete(id);
    return id;
  }
}

/**
 * Reads the records of one segment in order, a chunk at a time. Damage — a
 * wrong checksum, an impossible length, a record torn at the end — is
 * skipped by searching forward for the next record whose checksum matches;
 * `damaged` counts the damaged regions and `skippedBytes` their size.
 */
export class SegmentReader {
  #fd: number;
  #buf = Buffer.allocUnsafe(CHUNK_BYTES);
  #bufPos = 0; // file offset of #buf[0]
  #bufLen = 0;
  /** File offset of the next record. */
  pos: number;
  /** After {@link next} returned true: the payload is `buf[payloadStart, payloadEnd)`. */
  buf: Buffer = this.#buf;
  payloadStart = 0;
  payloadEnd = 0;
  damaged = 0;
  skippedBytes = 0;

  constructor(
    path: string,
    readonly id: number,
    pos: number,
  ) {
    this.#fd = openSync(path, 'r');
    this.pos = pos;
  }

  /** Moves to the next good record before `limit`; false when there is none. */
  next(limit: number): boolean {
    while (this.pos < limit) {
      let rel = this.#fill(this.pos, HEADER_BYTES, limit);
      let len = checkFrame(this.#buf, rel, this.#bufLen);
      if (len === FRAME_INCOMPLETE && this.#bufLen - rel >= HEADER_BYTES) {
        const need = HEADER_BYTES + this.#buf.readUInt32LE(rel);
        if (this.pos + need <= limit) {
          rel = this.#fill(this.pos, need, limit);
          len = checkFrame(this.#buf, rel, this.#bufLen);
        }
      }
      if (len < 0) {
        this.#resync(limit);
        continue;
      }
      this.buf = this.#buf;
      this.payloadStart = rel + HEADER_BYTES;
      this.payloadEnd = this.payloadStart + len;
      this.pos += HEADER_BYTES + len;
      return true;
    }
    return false;
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** Skips from a bad record at `pos` to the next good one (or to `limit`). */
  #resync(limit: number): void {
    const from = this.pos;
    const rel = this.#fill(from, limit - from, limit);
    const end = this.#bufLen;
    let found = -1;
    for (let p = rel + 1; p + HEADER_BYTES <= end; p++) {
      const len = checkFrame(this.#buf, p, end);
      if (len !== FRAME_BAD && len !== FRAME_INCOMPLETE) {
        found = p;
        break;
      }
    }
    this.pos = found < 0 ? limit : this.#bufPos + found;
    this.damaged++;
    this.skippedBytes += this.pos - from;
  }

  /** Makes `[pos, min(pos + need, limit))` readable in the buffer; returns the offset of `pos` in it. */
  #fill(pos: number, need: number, limit: number): number {
    const want = Math.min(need, limit - pos);
    if (pos >= this.#bufPos && pos + want <= this.#bufPos + this.#bufLen) return pos - this.#bufPos;
    if (this.#buf.length < want) this.#buf = Buffer.allocUnsafe(want);
    const toRead = Math.min(this.#buf.length, limit - pos);
    let n = 0;
    while (n < toRead) {
      const k = readSync(this.#fd, this.#buf, n, toRead - n, pos + n);
      if (k === 0) break; // the file is shorter than its table entry says
      n += k;
    }
    this.#bufPos = pos;
    this.#bufLen = n;
    return 0;
  }
}

/**
 * Replaces `path` with `data` atomically and durably without blocking the
 * event loop: temp file, fsync, rename, fsync of the directory.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.async.tmp`;
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
