import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KAFKA_FIELDS, createConverter as create, textOrBytes } from './to-log-message.js';

type Format = Parameters<typeof create>[0];

/** A converter as a function of one record, its batch's topic/partition and a bookmark. */
function createConverter(format: Format, messageField: string, transport?: string) {
  const c = create(format, messageField, transport);
  return (r: KafkaMessage, topic: string, partition: number, bookmark: number | undefined) => {
    c.begin(topic, partition);
    return c.convert(r, bookmark);
  };
}

function record(value: string | Buffer | null, extra: Partial<KafkaMessage> = {}): KafkaMessage {
  return {
    key: null,
    value: typeof value === 'string' ? Buffer.from(value) : value,
    timestamp: '1700000000000',
    attributes: 0,
    offset: '42',
    headers: {},
    ...extra,
  } as KafkaMessage;
}

describe('createConverter', () => {
  it('raw: MESSAGE, bookmark, STAMP and the KAFKA fields', () => {
    const msg = createConverter('raw', 'message')(
      record('hello', {
        key: Buffer.from('k'),
        headers: { a: Buffer.from('x'), b: ['1', Buffer.from('2')], c: undefined },
      }),
      'logs',
      3,
      77,
    );
    expect(msg.get('MESSAGE')).toBe('hello');
    expect(msg.bookmark).toBe(77);
    expect(msg.timestampMs).toBe(1700000000000);
    expect(msg.get(KAFKA_FIELDS.TOPIC)).toBe('logs');
    expect(msg.get(KAFKA_FIELDS.PARTITION)).toBe(3);
    expect(msg.get(KAFKA_FIELDS.OFFSET)).toBe('42');
    expect(msg.get(KAFKA_FIELDS.KEY)).toBe('k');
    expect(msg.get('KAFKA.HEADERS.a')).toBe('x');
    expect(msg.get('KAFKA.HEADERS.b')).toEqual(['1', '2']);
    expect(msg.has('KAFKA.HEADERS.c')).toBe(false);
  });

  it('raw: keeps binary values and keys as bytes, a tombstone as an empty MESSAGE, and the receive time without a timestamp', () => {
    const convert = createConverter('raw', 'message');
    const bin = convert(
      record(Buffer.from([0xff, 0x00]), { key: Buffer.from([0xc3]), timestamp: '-1' }),
      't',
      0,
      undefined,
    );
    expect(bin.get('MESSAGE')).toEqual(new Uint8Array([0xff, 0x00]));
    expect(bin.get(KAFKA_FIELDS.KEY)).toEqual(new Uint8Array([0xc3]));
    expect(bin.timestampMs).toBe(bin.receivedAt);
    expect(convert(record(null), 't', 0, undefined).get('MESSAGE')).toBe('');
  });

  it('json: fields, MESSAGE from messageField, and the reason when a value is not a JSON object', () => {
    const convert = createConverter('json', 'text');
    const ok = convert(record('{"text":"hi","n":1,"KAFKA.TOPIC":"spoofed"}'), 'real', 0, undefined);
    expect(ok.get('MESSAGE')).toBe('hi');
    expect(ok.get('n')).toBe(1);
    expect(ok.get(KAFKA_FIELDS.TOPIC)).toBe('real');
    expect(convert(record('{"n":1}'), 't', 0, undefined).has('MESSAGE')).toBe(false);
    for (const [value, why] of [
      ['{"unterminated', /not JSON/],
      ['"a string"', /JSON a string, not an object/],
      ['null', /JSON null, not an object/],
      [null, /tombstone/],
    ] as const) {
      const m = convert(record(value), 't', 0, 5);
      expect(m.getAsString(KAFKA_FIELDS.PARSE_ERROR)).toMatch(why);
      expect(m.bookmark).toBe(5);
      expect(m.get(KAFKA_FIELDS.OFFSET)).toBe('42');
    }
  });

  it('syslog: parses lines with a <PRI>, delivers others raw with the reason', () => {
    const convert = createConverter('syslog', 'message');
    const m = convert(record('<34>Oct 11 22:14:15 mymachine su: failed for lonvick'), 't', 0, 9);
    expect(m.get('PROGRAM')).toBe('su');
    expect(m.get('MESSAGE')).toBe('failed for lonvick');
    expect(m.getPri()).toBe(34);
    expect(m.bookmark).toBe(9);
    expect(m.timestampMs).not.toBe(1700000000000); // the line's own time
    const raw = convert(record('<abc> nope'), 't', 0, undefined);
    expect(raw.get('MESSAGE')).toBe('<abc> nope');
    expect(raw.getAsString(KAFKA_FIELDS.PARSE_ERROR)).toMatch(/no <PRI> header/);
  });
});

describe('raw batches', () => {
  it('gives each record its own fields, the batch its topic, partition and transport', () => {
    const c = create('raw', 'message', 'kafka');
    c.begin('a', 1);
    const one = c.convert(record('one', { offset: '1' }), 10);
    const two = c.convert(record('two', { offset: '2', key: Buffer.from('k') }), 11);
    c.begin('b', 2);
    const three = c.convert(record(null, { offset: '3' }), 12);
    one.set('x', 1);
    expect(two.has('x')).toBe(false);
    expect(three.has('x')).toBe(false);
    expect([one, two, three].map((m) => m.get('MESSAGE'))).toEqual(['one', 'two', '']);
    expect([one, two, three].map((m) => m.get(KAFKA_FIELDS.OFFSET))).toEqual(['1', '2', '3']);
    expect([one, two, three].map((m) => m.bookmark)).toEqual([10, 11, 12]);
    expect([one, two, three].map((m) => m.get(KAFKA_FIELDS.TOPIC))).toEqual(['a', 'a', 'b']);
    expect([one, two, three].map((m) => m.get(KAFKA_FIELDS.PARTITION))).toEqual([1, 1, 2]);
    expect(one.has(KAFKA_FIELDS.KEY)).toBe(false);
    expect(two.get(KAFKA_FIELDS.KEY)).toBe('k');
    expect(three.get('TRANSPORT')).toBe('kafka');
    expect(one.keys()[0]).toBe('MESSAGE');
  });
});

describe('textOrBytes', () => {
  it('decodes valid UTF-8 and copies anything else off the fetch buffer', () => {
    expect(textOrBytes(Buffer.from('žluť'))).toBe('žluť');
    const src = Buffer.from([0xe2, 0x28, 0xa1]);
    const out = textOrBytes(src) as Uint8Array;
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(out)).toBe(false);
    src[0] = 0;
    expect(out[0]).toBe(0xe2);
  });
});
