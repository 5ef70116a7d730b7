import { crc32 } from 'node:zlib';
import type { LogMessage } from '../log-message.js';
import type { ByteWriter } from './byte-writer.js';
import { encodeMessage, MIN_PAYLOAD_BYTES } from './message-codec.js';

/**
 * Framing of disk-buffer records: `[u32 payload length][u32 crc32 of the
 * payload][payload]`, little endian. The checksum lets a reader tell a
 * complete record from a torn or damaged one, and find the next good record
 * after damage.
 */

/** Bytes in front of each payload. */
export const HEADER_BYTES = 8;
/** Largest payload accepted; a bigger length field is treated as damage. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** {@link checkFrame}: the bytes given end before the record does. */
export const FRAME_INCOMPLETE = -1;
/** {@link checkFrame}: the bytes at this offset are not a valid record. */
export const FRAME_BAD = -2;

/**
 * Appends `msg` as one framed record to `w`; returns the record's size.
 * @throws RangeError when the encoded message is larger than {@link MAX_PAYLOAD_BYTES}.
 */
export function appendRecord(w: ByteWriter, msg: LogMessage): number {
  w.ensure(HEADER_BYTES);
  const start = w.pos;
  w.pos += HEADER_BYTES;
  encodeMessage(msg, w);
  const len = w.pos - start - HEADER_BYTES;
  if (len > MAX_PAYLOAD_BYTES) {
    w.pos = start;
    throw new RangeError(
      `a message of ${len} bytes is larger than the disk buffer's limit of ${MAX_PAYLOAD_BYTES}`,
    );
  }
  const b = w.buf;
  b.writeUInt32LE(len, start);
  b.writeUInt32LE(crc32(b.subarray(start + HEADER_BYTES, w.pos)), start + 4);
  return len + HEADER_BYTES;
}

/**
 * Checks the record starting at `buf[off]`, given the valid bytes end at
 * `end`. Returns the payload length when the record is whole and its
 * checksum matches, {@link FRAME_INCOMPLETE} when more bytes are needed to
 * decide, or {@link FRAME_BAD}.
 */
export function checkFrame(buf: Buffer, off: number, end: number): number {
  if (end - off < HEADER_BYTES) return FRAME_INCOMPLETE;
  const len = buf.readUInt32LE(off);
  if (len < MIN_PAYLOAD_BYTES || len > MAX_PAYLOAD_BYTES) return FRAME_BAD;
  const payload = off + HEADER_BYTES;
  if (payload + len > end) return FRAME_INCOMPLETE;
  return crc32(buf.subarray(payload, payload + len)) === buf.readUInt32LE(off + 4)
    ? len
    : FRAME_BAD;
}
