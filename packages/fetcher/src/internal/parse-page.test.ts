import { describe, expect, it } from 'vitest';
import { resolvePollerOptions, type HttpPollerOptions } from '../http-poller-options.js';
import { PageError, parsePage } from './parse-page.js';

const opts = (o: Partial<HttpPollerOptions>) =>
  resolvePollerOptions({ url: 'http://x.test/', ...o });

describe('parsePage', () => {
  it('takes the items array, the cursor and the more flag from a JSON document', () => {
    const o = opts({ items: 'data', cursor: { param: 'c', path: 'meta.next', more: 'meta.more' } });
    expect(parsePage('{"data":[{"a":1},"s"],"meta":{"next":42,"more":true}}', o)).toEqual({
      items: [{ a: 1 }, 's'],
      next: '42',
      more: true,
    });
    expect(parsePage('{"meta":{"next":""}}', o)).toEqual({
      items: [],
      next: undefined,
      more: undefined,
    });
  });

  it('says what it found when the shape is wrong', () => {
    expect(() => parsePage('{"data":{"a":1}}', opts({ items: 'data' }))).toThrow(
      new PageError('items at "data" is {"a":1}, not an array'),
    );
    const o = opts({ items: 'data', cursor: { param: 'c', path: 'next' } });
    expect(() => parsePage('{"next":{}}', o)).toThrow(
      /cursor at "next" is \{\}, not a string or number/,
    );
    expect(() => parsePage('not json', opts({}))).toThrow(SyntaxError);
  });

  it('splits ndjson and text into lines, skipping empty ones and CRs', () => {
    expect(parsePage('{"a":1}\r\n\n[2]\n', opts({ format: 'ndjson' })).items).toEqual([
      { a: 1 },
      [2],
    ]);
    expect(() => parsePage('{"a":1}\n{oops\n', opts({ format: 'ndjson' }))).toThrow(
      /ndjson line 2 is not JSON/,
    );
    expect(parsePage('one\r\ntwo\n\nthree', opts({ format: 'text' })).items).toEqual([
      'one',
      'two',
      'three',
    ]);
  });
});
