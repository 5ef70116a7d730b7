import { describe, expect, it } from 'vitest';
import { LogMessage, type LogValue } from '../log-message.js';
import { ByteWriter } from './byte-writer.js';
import { decodeMessage, encodeMessage } from './message-codec.js';
import {
  appendRecord,
  checkFrame,
  FRAME_BAD,
  FRAME_INCOMPLETE,
  HEADER_BYTES,
} from './record-codec.js';

function roundTrip(msg: LogMessage): LogMessage {
  const w = new ByteWriter(16); // tiny on purpose: every write has to grow the buffer
  encodeMessage(msg, w);
  return decodeMessage(w.buf, 0, w.pos);
}

/** Everything the codec promises to keep, in a form toStrictEqual compares exactly. */
function state(msg: LogMessage): unknown {
  return {
    fields: [...msg.entries()],
    pri: msg.getPri(),
    stamp: msg.timestampMs,
    offset: msg._stampOffset,
    receivedAt: msg.receivedAt,
  };
}

const VALUES: [string, LogValue][] = [
  ['str', 'plain'],
  ['empty', ''],
  ['unicode', 'grüße 日本語 🎉 \u0000 \uD800 lone surrogate'],
  ['int', 42],
  ['float', -1.5e-300],
  ['negzero', -0],
  ['nan', NaN],
  ['inf', -Infinity],
  ['big', 123456789012345678901234567890n],
  ['negbig', -7n],
  ['yes', true],
  ['no', false],
  ['nothing', null],
  ['date', new Date('2024-02-29T12:34:56.789Z')],
  ['baddate', new Date(NaN)],
  ['list', ['a', '', 'ç', 'd,e']],
  ['nolist', []],
  ['bytes', new Uint8Array([0, 1, 255, 128])],
  ['buffer', Buffer.from('raw \xff bytes', 'latin1')],
  ['json', { a: 1, b: [true, null, 'x', { c: 2.5 }], d: {} }],
  ['mixed', [1, 'two', { three: 3 }]],
  ['__proto__', 'a field, not a prototype'],
  ['', 'empty name'],
  ['lone \uDC00 in a name', ['ok', 'half an emoji \uD83D']],
];

describe('message codec', () => {
  it('keeps every field with its type, in order', () => {
    const msg = new LogMessage();
    for (const [k, v] of VALUES) msg.set(k, v);
    const back = roundTrip(msg);
    expect(back.keys()).toEqual(VALUES.map(([k]) => k));
    for (const [k, v] of VALUES) {
      const got = back.get(k);
      if (typeof v === 'number') expect(Object.is(got, v), k).toBe(true);
      else if (v instanceof Date)
        expect(Object.is((got as Date).getTime(), v.getTime()), k).toBe(true);
      else expect(got, k).toStrictEqual(v);
    }
    expect(back.get('buffer')).toBeInstanceOf(Buffer);
    expect(back.get('bytes')).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.get('bytes'))).toBe(false);
    expect(back.get('date')).toBeInstanceOf(Date);
    expect(typeof back.get('big')).toBe('bigint');
  });

  it('keeps PRI, STAMP with its offset, and receivedAt', () => {
    const msg = new LogMessage('hello')
      .setPri(191)
      .setTimestamp(new Date('2020-01-01T00:00:00.001Z'), -330);
    (msg as { receivedAt: number }).receivedAt = 1_600_000_000_123;
    const back = roundTrip(msg);
    expect(state(back)).toStrictEqual(state(msg));
    expect(back.timezoneOffset).toBe(-330);
    expect(back.format('${ISODATE}')).toBe(msg.format('${ISODATE}'));
  });

  it('keeps an unset STAMP offset unset (local time)', () => {
    const msg = new LogMessage('x').setPri(0).setTimestamp(1234);
    const back = roundTrip(msg);
    expect(back._stampOffset).toBeUndefined();
    expect(state(back)).toStrictEqual(state(msg));
  });

  it('round-trips a message without fields', () => {
    const msg = new LogMessage();
    expect(state(roundTrip(msg))).toStrictEqual(state(msg));
  });

  it('drops the bookmark and the ack bookkeeping', () => {
    const msg = new LogMessage('x', { offset: 7 });
    msg._pending = 3;
    const back = roundTrip(msg);
    expect(back.bookmark).toBeUndefined();
    expect(back._owner).toBeUndefined();
    expect(back._pending).toBe(0);
  });

  it('does not share bytes with the buffer it was read from', () => {
    const w = new ByteWriter();
    encodeMessage(new LogMessage(new Uint8Array([1, 2, 3])), w);
    const back = decodeMessage(w.buf, 0, w.pos);
    w.buf.fill(0);
    expect(back.get('MESSAGE')).toStrictEqual(new Uint8Array([1, 2, 3]));
  });

  it('throws on every truncation and never reads past the end it is given', () => {
    const msg = new LogMessage('truncate me').set('n', 5).set('l', ['a', 'b']).set('j', { k: 'v' });
    const w = new ByteWriter();
    encodeMessage(msg, w);
    for (let end = 0; end < w.pos; end++) {
      expect(() => decodeMessage(w.buf, 0, end), `end ${end}`).toThrow();
    }
    w.u8(0); // one byte too many is also an error
    expect(() => decodeMessage(w.buf, 0, w.pos)).toThrow(/left after/);
  });

  it('rejects an unknown version or value type', () => {
    const w = new ByteWriter();
    encodeMessage(new LogMessage('x'), w);
    const bad = Buffer.from(w.buf.subarray(0, w.pos));
    bad[0] = 99;
    expect(() => decodeMessage(bad, 0, bad.length)).toThrow(/version 99/);
    const tag = Buffer.from(w.buf.subarray(0, w.pos));
    tag[3 + 16 + 4 + 4 + 'MESSAGE'.length] = 200; // the type tag of the only field
    expect(() => decodeMessage(tag, 0, tag.length)).toThrow(/type 200/);
  });
});

describe('record framing', () => {
  function records(n: number): { w: ByteWriter; sizes: number[] } {
    const w = new ByteWriter();
    const sizes: number[] = [];
    for (let i = 0; i < n; i++)
      sizes.push(appendRecord(w, new LogMessage(`message ${i}`).set('i', i)));
    return { w, sizes };
  }

  it('frames records that read back in order', () => {
    const { w, sizes } = records(50);
    let off = 0;
    for (let i = 0; i < 50; i++) {
      const len = checkFrame(w.buf, off, w.pos);
      expect(len + HEADER_BYTES).toBe(sizes[i]);
      const msg = decodeMessage(w.buf, off + HEADER_BYTES, off + HEADER_BYTES + len);
      expect(msg.get('i')).toBe(i);
      off += HEADER_BYTES + len;
    }
    expect(off).toBe(w.pos);
  });

  it('tells a torn record from a damaged one', () => {
    const { w, sizes } = records(1);
    expect(checkFrame(w.buf, 0, sizes[0]! - 1)).toBe(FRAME_INCOMPLETE);
    expect(checkFrame(w.buf, 0, 5)).toBe(FRAME_INCOMPLETE);
    for (const at of [HEADER_BYTES, sizes[0]! - 1, 4]) {
      const copy = Buffer.from(w.buf.subarray(0, w.pos));
      copy[at]! ^= 0x10;
      expect(checkFrame(copy, 0, copy.length), `byte ${at}`).toBe(FRAME_BAD);
    }
    const huge = Buffer.from(w.buf.subarray(0, w.pos));
    huge.writeUInt32LE(0xffffffff, 0);
    expect(checkFrame(huge, 0, huge.length)).toBe(FRAME_BAD);
  });
});
