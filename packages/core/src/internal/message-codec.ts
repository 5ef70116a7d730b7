import { LogMessage, type LogValue } from '../log-message.js';
import { STR_UTF16, type ByteWriter } from './byte-writer.js';

/**
 * Binary form of a LogMessage for the disk buffer: every field keeps its
 * type (a bigint stays a bigint, bytes stay bytes, a Date its instant), plus
 * PRI, STAMP with its UTC offset, and receivedAt. The bookmark is not kept:
 * after a restart nobody waits for its ack.
 *
 * Layout (little endian): u8 version, u8 pri, u8 flags (bit 0: STAMP offset
 * set), f64 receivedAt, f64 stamp, [f64 offset], u32 field count, then per
 * field: name, u8 type tag, value. A string is a u32 byte length and UTF-8;
 * one that is not well-formed Unicode (a lone surrogate) is stored as UTF-16
 * instead, flagged by the length's top bit, so it too comes back unchanged.
 */

const VERSION = 1;
const FLAG_OFFSET = 1;

const T_STRING = 0;
const T_NUMBER = 1;
const T_BIGINT = 2;
const T_TRUE = 3;
const T_FALSE = 4;
const T_NULL = 5;
const T_DATE = 6;
const T_STRINGS = 7;
const T_BYTES = 8;
const T_BUFFER = 9;
const T_JSON = 10;

/** Smallest payload the codec can produce (a message without fields). */
export const MIN_PAYLOAD_BYTES = 3 + 8 + 8 + 4;

function isStringArray(v: readonly unknown[]): boolean {
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function encodeValue(w: ByteWriter, v: LogValue): void {
  if (typeof v === 'string') {
    w.u8(T_STRING);
    w.str(v);
  } else if (typeof v === 'number') {
    w.u8(T_NUMBER);
    w.f64(v);
  } else if (typeof v === 'bigint') {
    w.u8(T_BIGINT);
    w.str(v.toString());
  } else if (typeof v === 'boolean') w.u8(v ? T_TRUE : T_FALSE);
  else if (v === null) w.u8(T_NULL);
  else if (v instanceof Date) {
    w.u8(T_DATE);
    w.f64(v.getTime()); // NaN for an invalid date, which f64 keeps
  } else if (v instanceof Uint8Array) {
    w.u8(Buffer.isBuffer(v) ? T_BUFFER : T_BYTES);
    w.bytes(v);
  } else if (Array.isArray(v) && isStringArray(v)) {
    w.u8(T_STRINGS);
    w.u32(v.length);
    for (let i = 0; i < v.length; i++) w.str(v[i] as string);
  } else {
    w.u8(T_JSON);
    w.str(JSON.stringify(v) ?? 'null');
  }
}

/** Appends the encoding of `msg` to `w`. */
export function encodeMessage(msg: LogMessage, w: ByteWriter): void {
  const offset = msg._stampOffset;
  w.ensure(3 + 8 + 8 + 8 + 4);
  const b = w.buf;
  let p = w.pos;
  b[p++] = VERSION;
  b[p++] = msg.getPri();
  b[p++] = offset === undefined ? 0 : FLAG_OFFSET;
  b.writeDoubleLE(msg.receivedAt, p);
  b.writeDoubleLE(msg.timestampMs, p + 8);
  p += 16;
  if (offset !== undefined) {
    b.writeDoubleLE(offset, p);
    p += 8;
  }
  b.writeUInt32LE(msg.fieldCount, p);
  w.pos = p + 4;
  for (const [name, value] of msg.entries()) {
    w.str(name);
    encodeValue(w, value);
  }
}

/** Reads a buffer range; every read checks the bounds, so bad input throws instead of reading past it. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  #need(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw new RangeError(`record ends early at byte ${p}`);
    this.pos = p + n;
    return p;
  }

  u8(): number {
    return this.buf[this.#need(1)]!;
  }

  u32(): number {
    return this.buf.readUInt32LE(this.#need(4));
  }

  f64(): number {
    return this.buf.readDoubleLE(this.#need(8));
  }

  str(): string {
    const raw = this.u32();
    const n = raw & ~STR_UTF16;
    const p = this.#need(n);
    return this.buf.toString(raw >= STR_UTF16 ? 'utf16le' : 'utf8', p, p + n);
  }

  bytes(): Buffer {
    const n = this.u32();
    const p = this.#need(n);
    return this.buf.subarray(p, p + n);
  }
}

function decodeValue(r: Reader): LogValue {
  const tag = r.u8();
  switch (tag) {
    case T_STRING:
      return r.str();
    case T_NUMBER:
      return r.f64();
    case T_BIGINT:
      return BigInt(r.str());
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    case T_DATE:
      return new Date(r.f64());
    case T_STRINGS: {
      const n = r.u32();
      if (n > r.end - r.pos)
        throw new RangeError(`string list of ${n} items is longer than the record`);
      const out: string[] = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = r.str();
      return out;
    }
    case T_BYTES:
      return new Uint8Array(r.bytes()); // a copy: the read buffer is reused
    case T_BUFFER:
      return Buffer.from(r.bytes());
    case T_JSON:
      return JSON.parse(r.str()) as LogValue;
    default:
      throw new RangeError(`unknown value type ${tag}`);
  }
}

/**
 * Decodes the message encoded in `buf[start, end)`. The result has no
 * bookmark and no ack owner.
 * @throws RangeError or SyntaxError when the bytes are not a message of this version.
 */
export function decodeMessage(buf: Buffer, start: number, end: number): LogMessage {
  const r = new Reader(buf, start, end);
  const version = r.u8();
  if (version !== VERSION) throw new RangeError(`unknown record version ${version}`);
  const pri = r.u8();
  const flags = r.u8();
  const receivedAt = r.f64();
  const stamp = r.f64();
  const offset = (flags & FLAG_OFFSET) !== 0 ? r.f64() : undefined;
  const msg = new LogMessage();
  msg._restoreTimes(receivedAt, stamp, offset);
  msg.setPri(pri);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const name = r.str();
    msg.set(name, decodeValue(r));
  }
  if (r.pos !== end) throw new RangeError(`${end - r.pos} bytes left after the last field`);
  return msg;
}
