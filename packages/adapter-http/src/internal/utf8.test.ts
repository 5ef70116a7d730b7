import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { firstInvalidUtf8 } from './utf8.js';

describe('firstInvalidUtf8', () => {
  it('finds the first bad sequence', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo 😀'))).toBe(Buffer.byteLength('héllo 😀'));
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2); // truncated
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // past U+10FFFF
  });

  it('agrees with buffer.isUtf8 on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const at = firstInvalidUtf8(buf);
        expect(at === buf.length).toBe(isUtf8(buf));
        if (at < buf.length) expect(isUtf8(buf.subarray(0, at))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
