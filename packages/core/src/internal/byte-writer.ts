/** Top bit of a string's length: the bytes are UTF-16LE, not UTF-8. */
export const STR_UTF16 = 0x80000000;

/** A growable byte buffer that encoders append to; `pos` is its length. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /**
   * A string: u32 byte length and UTF-8, or UTF-16 (flagged by the length's
   * top bit) when it is not well-formed Unicode, so a lone surrogate survives.
   */
  str(s: string): void {
    // Worst case 3 bytes per UTF-16 unit, so the length can be filled in after writing.
    this.ensure(4 + s.length * 3);
    if ((s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      const n = this.buf.write(s, this.pos + 4);
      this.buf.writeUInt32LE(n, this.pos);
      this.pos += 4 + n;
    } else {
      const n = this.buf.write(s, this.pos + 4, 'utf16le');
      this.buf.writeUInt32LE((n | STR_UTF16) >>> 0, this.pos);
      this.pos += 4 + n;
    }
  }

  bytes(b: Uint8Array): void {
    this.ensure(4 + b.byteLength);
    this.buf.writeUInt32LE(b.byteLength, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.byteLength;
  }
}
