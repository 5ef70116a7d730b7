import { describe, it, expect } from 'vitest';
import { LogMessage } from '@logpath/core';
import { HttpError } from './http-error.js';
import type { RequestFields } from './request-fields.js';
import {
  formatFromContentType,
  parseBody,
  type BodyFormat,
  type BodyLimits,
} from './parse-body.js';

const limits: BodyLimits = { maxLineBytes: 1024, maxMessages: 1000, messageField: 'message' };
const parse = (body: string | Buffer, format: BodyFormat, l: Partial<BodyLimits> = {}) =>
  parseBody(typeof body === 'string' ? Buffer.from(body) : body, format, { ...limits, ...l });

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected an HttpError');
}

describe('formatFromContentType', () => {
  it('maps JSON, NDJSON variants, text and octet-stream', () => {
    expect(formatFromContentType('application/json')).toBe('json');
    expect(formatFromContentType('Application/JSON; charset=UTF-8')).toBe('json');
    expect(formatFromContentType('application/vnd.api+json')).toBe('json');
    for (const t of [
      'application/x-ndjson',
      'application/ndjson',
      'application/jsonl',
      'application/x-jsonlines',
    ]) {
      expect(formatFromContentType(t)).toBe('ndjson');
    }
    expect(formatFromContentType('text/plain;charset=UTF-8')).toBe('text');
    expect(formatFromContentType('application/octet-stream')).toBe('raw');
  });

  it('refuses missing and unsupported types, and charsets other than UTF-8, with 415', () => {
    expect(refusal(() => formatFromContentType(undefined)).status).toBe(415);
    const e = refusal(() => formatFromContentType('application/x-www-form-urlencoded'));
    expect(e.status).toBe(415);
    expect(e.message).toContain('application/x-www-form-urlencoded');
    expect(e.details).toMatchObject({
      supported: expect.arrayContaining(['application/json']) as unknown,
    });
    expect(
      refusal(() => formatFromContentType('text/plain; charset=iso-8859-1')).message,
    ).toContain('iso-8859-1');
  });
});

describe('parseBody', () => {
  it('json: an object is one message with typed fields, messageField becomes MESSAGE', () => {
    const [m, ...rest] = parse(
      '{"message":"hi","n":1.5,"ok":true,"nil":null,"o":{"a":[1]},"__proto__":{"x":1}}',
      'json',
    );
    expect(rest).toHaveLength(0);
    expect(m!.get('MESSAGE')).toBe('hi');
    expect(m!.has('message')).toBe(false);
    expect(m!.get('n')).toBe(1.5);
    expect(m!.get('ok')).toBe(true);
    expect(m!.get('nil')).toBeNull();
    expect(m!.get('o')).toEqual({ a: [1] });
    expect(m!.get('__proto__')).toEqual({ x: 1 });
  });

  it('json: an array is one message per element; other values become MESSAGE, as text', () => {
    const msgs = parse('[{"message":"a"},"b",3,{"message":{"k":[1]}}]', 'json');
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual(['a', 'b', '3', '{"k":[1]}']);
  });

  it('json: honours a custom messageField', () => {
    const [m] = parse('{"msg_text":"x","message":"kept"}', 'json', { messageField: 'msg_text' });
    expect(m!.get('MESSAGE')).toBe('x');
    expect(m!.get('message')).toBe('kept');
  });

  it('json: a malformed body is a 400 naming the problem', () => {
    const e = refusal(() => parse('{"a":', 'json'));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('ndjson: one message per line, CRLF and blank lines tolerated', () => {
    const msgs = parse('{"message":"a"}\r\n\n  \n{"message":"b","n":2}\n', 'ndjson');
    expect(msgs.map((m) => m.get('MESSAGE'))).toEqual(['a', 'b']);
    expect(msgs[1]!.get('n')).toBe(2);
  });

  it('ndjson: a malformed line refuses the whole body and names the line', () => {
    const e = refusal(() => parse('{"message":"a"}\n{"message":"b"}\n{"message":\n', 'ndjson'));
    expect(e.status).toBe(400);
    expect(e.details).toEqual({ line: 3 });
    expect(e.message).toMatch(/^line 3 is not valid JSON/);
  });

  it('text: one message per line; raw: the whole body', () => {
    expect(parse('a\nb c\r\n\nd', 'text').map((m) => m.get('MESSAGE'))).toEqual(['a', 'b c', 'd']);
    expect(parse('a\nb', 'raw').map((m) => m.get('MESSAGE'))).toEqual(['a\nb']);
    expect(parse('', 'raw')).toEqual([]);
  });

  it('raw: bytes that are not UTF-8 stay bytes', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe]);
    const [m] = parse(bytes, 'raw');
    expect(Buffer.from(m!.get('MESSAGE') as Uint8Array)).toEqual(bytes);
  });

  it('syslog: each line is parsed', () => {
    const [a, b] = parse(
      '<34>1 2024-01-02T03:04:05Z host1 app 123 ID7 - hello\n<13>Jan  2 03:04:05 host2 prog[9]: world\n',
      'syslog',
    );
    expect(a!.get('HOST')).toBe('host1');
    expect(a!.get('MESSAGE')).toBe('hello');
    expect(a!.getPri()).toBe(34);
    expect(b!.get('HOST')).toBe('host2');
    expect(b!.get('PROGRAM')).toBe('prog');
    expect(b!.get('MESSAGE')).toBe('world');
  });

  it('strips a UTF-8 BOM', () => {
    expect(parse('\ufeff{"message":"x"}', 'json')[0]!.get('MESSAGE')).toBe('x');
  });

  it('refuses invalid UTF-8 with the line and the byte offset', () => {
    const body = Buffer.concat([
      Buffer.from('ok\nfine\nbad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    const e = refusal(() => parse(body, 'text'));
    expect(e.status).toBe(400);
    expect(e.details).toEqual({ line: 3, offset: 12 });
    expect(refusal(() => parse(Buffer.from([0x7b, 0xe2, 0x82]), 'json')).status).toBe(400);
  });

  it('refuses a line over maxLineBytes (413), counting UTF-8 bytes', () => {
    expect(parse(`${'é'.repeat(5)}\n`, 'text', { maxLineBytes: 10 })).toHaveLength(1); // 10 bytes: fits
    const e = refusal(() => parse(`ok\n${'é'.repeat(6)}\n`, 'text', { maxLineBytes: 10 }));
    expect(e.status).toBe(413);
    expect(e.details).toEqual({ line: 2, maxLineBytes: 10 });
  });

  it('refuses more than maxMessages (413), for lines and JSON arrays', () => {
    expect(refusal(() => parse('a\nb\nc\n', 'text', { maxMessages: 2 })).status).toBe(413);
    expect(refusal(() => parse('[1,2,3]', 'json', { maxMessages: 2 })).status).toBe(413);
    expect(parse('a\nb\n', 'text', { maxMessages: 2 })).toHaveLength(2);
  });

  it('gives every message the request fields after its own, in every format', () => {
    const template = new LogMessage()
      .set('HTTP.METHOD', 'POST')
      .setSourceIpAddress('10.0.0.1', 5000)
      .set('TRANSPORT', 'http');
    const request: RequestFields = {
      names: ['HTTP.METHOD'],
      values: ['POST'],
      ip: '10.0.0.1',
      port: 5000,
      template,
      receivedAt: Date.UTC(2026, 10, 25),
    };
    const body = (text: string, format: BodyFormat): LogMessage[] =>
      parseBody(Buffer.from(text), format, limits, request);
    // A key that names a request field is overridden (it keeps its place), as before.
    const [a, b] = body('{"message":"a","SOURCEIP":"spoofed"}\n{"message":"b"}\n', 'ndjson');
    expect([...a!.entries()]).toEqual([
      ['MESSAGE', 'a'],
      ['SOURCEIP', '10.0.0.1'],
      ['HTTP.METHOD', 'POST'],
      ['SOURCEPORT', 5000],
      ['TRANSPORT', 'http'],
    ]);
    expect(b!.receivedAt).toBe(request.receivedAt);
    const [j] = body('{"message":"j","n":1}', 'json');
    expect(j!.keys()).toEqual([
      'MESSAGE',
      'n',
      'HTTP.METHOD',
      'SOURCEIP',
      'SOURCEPORT',
      'TRANSPORT',
    ]);
    // Without the template, TRANSPORT is the runtime's to set.
    for (const [text, format] of [
      ['t', 'text'],
      ['[{"message":"e"}]', 'json'],
      ['r', 'raw'],
      ['<13>Jan  2 03:04:05 h p: s', 'syslog'],
    ] as const) {
      const [m] = body(text, format);
      expect(m!.get('HTTP.METHOD')).toBe('POST');
      expect(m!.get('SOURCEIP')).toBe('10.0.0.1');
      expect(m!.get('SOURCEPORT')).toBe(5000);
    }
  });
});
