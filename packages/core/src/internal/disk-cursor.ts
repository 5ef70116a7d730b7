import type { LogMessage } from '../log-message.js';
import { SegmentReader, segmentPath, type SegmentTable } from './disk-segment.js';
import type { SegmentWriter } from './disk-writer.js';
import { decodeMessage } from './message-codec.js';

/** Receives damage found while reading back: records lost (at least), and where. */
export type DamageReport = (records: number, detail: string) => void;

/**
 * Reads a disk buffer's records back in order, across segments, up to what
 * the writer has appended (pending bytes are written out first). After
 * {@link next} returns a message, `segment` and `offset` are the end of its
 * record, which is also where the next read starts.
 */
export class DiskCursor {
  segment: number;
  offset: number;
  #reader: SegmentReader | undefined;

  constructor(
    private readonly dir: string,
    private readonly table: SegmentTable,
    private readonly writer: SegmentWriter,
    /** Damage in segments up to this id was reported when the buffer was opened. */
    private readonly reportedUpTo: number,
    private readonly onDamage: DamageReport,
    start: { segment: number; offset: number },
  ) {
    this.segment = start.segment;
    this.offset = start.offset;
  }

  /** Moves to another record start. */
  seek(segment: number, offset: number): void {
    this.segment = segment;
    this.offset = offset;
  }

  /**
   * Decodes the next good record; undefined when every appended record has
   * been read. Damaged or undecodable records are skipped and reported.
   * @throws the file system's error when a segment cannot be read.
   */
  next(): LogMessage | undefined {
    const w = this.writer;
    for (;;) {
      const id = this.segment;
      if (id === w.segment) w.writeOut(); // the record may still be in the write buffer
      const limit = id === w.segment ? w.written : (this.table.get(id)?.end ?? 0);
      let r = this.#reader;
      if (r === undefined || r.id !== id || r.pos !== this.offset) {
        r?.close();
        r = this.#reader = new SegmentReader(segmentPath(this.dir, id), id, this.offset);
      }
      const damagedBefore = r.damaged;
      const found = r.next(limit);
      this.offset = r.pos;
      if (r.damaged > damagedBefore && id > this.reportedUpTo) {
        this.onDamage(r.damaged - damagedBefore, `in segment ${id}`);
      }
      if (!found) {
        if (id === w.segment) return undefined;
        this.segment = this.table.after(id) ?? w.segment;
        this.offset = 0;
        continue;
      }
      try {
        return decodeMessage(r.buf, r.payloadStart, r.payloadEnd);
      } catch (err) {
        // The checksum matched, so the bytes are as written: count it whether or not it was scanned.
        this.onDamage(1, `in segment ${id}: ${(err as Error).message}`);
      }
    }
  }

  /** Segment `id` was deleted: drop its file handle, and move on if reading stood in it. */
  forget(id: number): void {
    if (this.#reader?.id === id) {
      this.#reader.close();
      this.#reader = undefined;
    }
    if (this.segment === id) {
      this.segment = this.table.first ?? this.writer.segment;
      this.offset = 0;
    }
  }

  close(): void {
    this.#reader?.close();
    this.#reader = undefined;
  }
}
