import { describe, it, expect } from 'vitest';
import { LogMessage } from '@logpath/core';
import { ParsedFrame, parseFrame, type ParserConfig } from './frame-parser.js';
import {
  FRAME_REJECTED,
  FrameAck,
  encodeFrameReply,
  encodeMessageReply,
  type AckSink,
} from './ack-protocol.js';

const cfg = (format: ParserConfig['format'], idField?: string): ParserConfig => ({
  format,
  messageField: 'message',
  idField,
});
const parse = (
  c: ParserConfig,
  text: string | Buffer,
  binary = false,
): { err: string | undefined; out: ParsedFrame } => {
  const out = new ParsedFrame();
  const err = parseFrame(c, Buffer.isBuffer(text) ? text : Buffer.from(text), binary, out);
  return { err, out };
};

describe('parseFrame', () => {
  it('text keeps the frame whole; binary text frames stay bytes', () => {
    expect(parse(cfg('text'), 'a\nb').out.messages[0]!.get('MESSAGE')).toBe('a\nb');
    expect(parse(cfg('text'), Buffer.from([1, 2]), true).out.messages[0]!.get('MESSAGE')).toEqual(
      new Uint8Array([1, 2]),
    );
  });

  it('lines skips empty lines and strips CR', () => {
    const { out } = parse(cfg('lines'), '\r\na\r\n\nb\n\n');
    expect(out.count).toBe(2);
    expect(out.messages.slice(0, out.count).map((m) => m.get('MESSAGE'))).toEqual(['a', 'b']);
  });

  it('binary frames must be valid UTF-8 outside the text format', () => {
    expect(parse(cfg('lines'), Buffer.from([0xff, 0xfe]), true).err).toBe(
      'binary frame is not valid UTF-8',
    );
    expect(parse(cfg('lines'), Buffer.from('ok'), true).out.count).toBe(1);
  });

  it('json: objects, arrays, scalars; non-string messageField values become JSON text', () => {
    const { out } = parse(cfg('json'), '[{"message":{"a":1}}, 5, null, "s"]');
    expect(out.messages.slice(0, 4).map((m) => m.get('MESSAGE'))).toEqual([
      '{"a":1}',
      '5',
      'null',
      's',
    ]);
    expect(parse(cfg('json'), '{"a":').err).toMatch(/^malformed JSON \(/);
  });

  it('ndjson names the bad line; blank and whitespace-only lines are skipped', () => {
    expect(parse(cfg('ndjson'), '{"a":1}\n  \n{"b":2}\r\n').out.count).toBe(2);
    expect(parse(cfg('ndjson'), '{"a":1}\n\n{"b":').err).toMatch(/^line 3: malformed JSON/);
  });

  it('reads ids only when an idField is set, and only strings and finite numbers', () => {
    const text = '{"id":1}\n{"id":"x"}\n{"id":{"o":1}}\n{"id":true}\n{}';
    const off = parse(cfg('ndjson'), text).out;
    expect(off.idCount).toBe(0);
    const on = parse(cfg('ndjson', 'id'), text).out;
    expect(on.ids.slice(0, on.count)).toEqual([1, 'x', undefined, undefined, undefined]);
    expect(on.idCount).toBe(2);
    expect(on.lastId).toBe('x');
  });

  it('an inherited idField is not an id', () => {
    const { out } = parse(cfg('json', 'toString'), '{"message":"m"}');
    expect(out.idCount).toBe(0);
  });

  it('with the connection template, JSON messages carry its fields after their own', () => {
    const template = new LogMessage().set('SOURCEIP', '10.0.0.1').set('TRANSPORT', 'ws');
    const run = (c: ParserConfig, text: string): ParsedFrame => {
      const out = new ParsedFrame();
      expect(parseFrame(c, Buffer.from(text), false, out, template)).toBeUndefined();
      return out;
    };
    const nd = run(cfg('ndjson'), '{"message":{"a":1},"SOURCEIP":"x"}\n \n7\r\n');
    expect(nd.stamped).toBe(true);
    expect(nd.count).toBe(2);
    expect([...nd.messages[0]!.entries()]).toEqual([
      ['MESSAGE', '{"a":1}'],
      ['SOURCEIP', '10.0.0.1'],
      ['TRANSPORT', 'ws'],
    ]);
    expect(nd.messages[1]!.get('MESSAGE')).toBe('7');
    const one = run(cfg('json'), '{"message":"m"}');
    expect([
      one.stamped,
      one.messages[0]!.get('MESSAGE'),
      one.messages[0]!.get('TRANSPORT'),
    ]).toEqual([true, 'm', 'ws']);
    // Arrays, and ids (read at once), take the other path: the caller sets the fields.
    expect(run(cfg('json'), '[{"message":"a"}]').stamped).toBe(false);
    const ids = run(cfg('ndjson', 'id'), '{"id":1}');
    expect([ids.stamped, ids.idCount]).toEqual([false, 1]);
    const bad = new ParsedFrame();
    expect(parseFrame(cfg('ndjson'), Buffer.from('{}\n{"a":'), false, bad, template)).toMatch(
      /^line 2: malformed JSON \(/,
    );
  });

  it('reset drops the references', () => {
    const { out } = parse(cfg('lines'), 'a\nb');
    out.reset();
    expect(out.count).toBe(0);
    expect(out.messages[0]).toBeUndefined();
  });
});

describe('ack replies', () => {
  const sink: AckSink = { messageSettled() {}, frameSettled() {} };
  it('encodes message and frame replies', () => {
    expect(encodeMessageReply(7, 'delivered')).toBe('{"ack":7}');
    expect(JSON.parse(encodeMessageReply('a"b', 'aborted'))).toEqual({
      nack: 'a"b',
      reason: expect.any(String) as unknown,
      retry: true,
    });
    const f = new FrameAck(sink, 3, undefined);
    expect(encodeFrameReply(f)).toBe('{"ack":null,"frame":3}');
    f.worst = FRAME_REJECTED;
    f.reason = 'bad';
    expect(JSON.parse(encodeFrameReply(f))).toEqual({
      nack: null,
      frame: 3,
      reason: 'bad',
      retry: false,
    });
  });

  it('a frame settles once every message has, with the worst status', () => {
    const settled: FrameAck[] = [];
    const f = new FrameAck({ messageSettled() {}, frameSettled: (x) => settled.push(x) }, 1, 9);
    f.pending = 3;
    f.settle('delivered');
    f.settle('dropped');
    expect(settled).toHaveLength(0);
    f.settle('delivered');
    expect(settled).toEqual([f]);
    expect(JSON.parse(encodeFrameReply(f))).toMatchObject({ nack: 9, frame: 1, retry: false });
  });
});
