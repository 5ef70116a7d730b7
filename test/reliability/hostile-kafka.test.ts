/**
 * Hostile Kafka records: random values (bytes, invalid UTF-8, JSON with
 * `__proto__` keys, syslog lines, empty and null values), keys (bytes,
 * empty, null) and headers (invalid UTF-8, empty, null values, repeated
 * names, names such as `__proto__`, `constructor` and `toString`) produced
 * to one topic and read by three KafkaSources at once, one per format (raw,
 * json, syslog). Every record must be delivered once by each, with exactly
 * its value, key and headers; a value that does not parse as the format says
 * arrives raw with KAFKA.PARSE_ERROR; no prototype is touched. Figures go to
 * `results/hostile-kafka.json`.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConfig, Pipeline, type LogMessage, type LogValue } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import { KafkaSource } from '@logpath/adapter-kafka';
import {
  createTopic,
  produce,
  sharedCluster,
  TEST_CONSUMER,
  unique,
} from '../../packages/adapter-kafka/src/test-kafka.js';
import { poison } from './field-arbitraries.js';
import { fuzzParams, prototypeChanges, snapshotPrototypes } from './fuzz-support.js';
import { RssSampler } from './hostile-net-support.js';
import { writeResult } from './results.js';
import { hostileString, mixedBytes, mutated, rfc3164Line, rfc5424Line } from './syslog-lines.js';

const FORMATS = ['raw', 'json', 'syslog'] as const;
const RECORDS = 400;
const cluster = sharedCluster();

type Bytes = Buffer | null;
interface Rec {
  value: Bytes;
  key: Bytes;
  /** Header name → its values in order (more than one: a repeated header). */
  headers: [string, Bytes[]][];
}

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytes = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
const value: fc.Arbitrary<Bytes> = fc.oneof(
  bytes,
  mixedBytes.map((b) => Buffer.from(b)),
  hostileString.map(buf),
  fc.jsonValue({ maxDepth: 3 }).map((v) => buf(JSON.stringify(v))),
  fc.object({ maxDepth: 2 }).map((o) => buf(JSON.stringify(o))),
  poison.map((p) => buf(JSON.stringify(p))),
  fc
    .constantFrom(
      '{"__proto__":{"polluted":1},"message":"m"}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"message":{"nested":true}}',
      '{',
      'null',
      '[]',
      '""',
    )
    .map(buf),
  rfc5424Line.map((l) => buf(l.line)),
  rfc3164Line.map((l) => buf(l.line)),
  mutated(rfc5424Line.map((l) => l.line)).map(buf),
  fc.constantFrom(Buffer.alloc(0), null),
);
const headerName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'prototype',
    'hasOwnProperty',
    'valueOf',
    'polluted',
    '',
    'a.b',
    'h',
  ),
  fc.string({ maxLength: 12 }),
);
const headerValue: fc.Arbitrary<Bytes> = fc.oneof(
  bytes,
  mixedBytes.map((b) => Buffer.from(b)),
  hostileString.map(buf),
  fc.constantFrom(Buffer.alloc(0), null),
);
const record: fc.Arbitrary<Rec> = fc.record({
  value,
  key: fc.oneof(fc.constant(null), bytes, hostileString.map(buf)),
  headers: fc.uniqueArray(
    fc.tuple(headerName, fc.array(headerValue, { minLength: 1, maxLength: 3 })),
    {
      maxLength: 4,
      selector: ([n]) => n,
    },
  ),
});

/**
 * Records that stalled a partition before the fix (the converter threw on a
 * null header value, and the consumer crashed on the same batch forever) or
 * arrived with an Object.prototype member mixed into a header's value.
 */
const REGRESSIONS: Rec[] = [
  { value: buf('null header'), key: null, headers: [['h', [null]]] },
  { value: buf('null in a repeated header'), key: null, headers: [['h', [buf('a'), null]]] },
  { value: buf('{"a":1}'), key: buf(''), headers: [['constructor', [buf('c')]]] },
  {
    value: null,
    key: null,
    headers: [
      ['__proto__', [buf('p1'), buf('p2')]],
      ['toString', [null]],
    ],
  },
  {
    value: buf('<13>x'),
    key: Buffer.from([0xff]),
    headers: [['hasOwnProperty', [Buffer.from([0xc3])]]],
  },
];

/** The record as kafkajs produces it; Object.fromEntries keeps `__proto__` an own key. */
function toMessage(r: Rec): Message {
  const headers = Object.fromEntries(r.headers.map(([n, vs]) => [n, vs.length === 1 ? vs[0] : vs]));
  return { key: r.key, value: r.value, headers } as Message;
}

const textOrBytes = (b: Buffer): string | Uint8Array =>
  isUtf8(b) ? b.toString('utf8') : new Uint8Array(b);

/** The fields a record must arrive with, by format (written from the documented rules). */
function expectedFields(
  r: Rec,
  format: (typeof FORMATS)[number],
  offset: number,
  topic: string,
): Map<string, LogValue> {
  const f = new Map<string, LogValue>();
  const v = r.value;
  const rawWith = (why: boolean): void => {
    f.set('MESSAGE', v === null ? '' : textOrBytes(v));
    if (why) f.set('KAFKA.PARSE_ERROR', expect.any(String) as unknown as string);
  };
  if (format === 'raw') rawWith(false);
  else if (format === 'json') {
    let obj: unknown;
    try {
      obj = v !== null && isUtf8(v) ? JSON.parse(v.toString('utf8')) : undefined;
    } catch {
      obj = undefined;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) rawWith(true);
    else {
      for (const k of Object.keys(obj)) f.set(k, (obj as Record<string, LogValue>)[k]!);
      const m = (obj as Record<string, unknown>).message;
      if (m !== undefined) f.set('MESSAGE', typeof m === 'string' ? m : JSON.stringify(m));
    }
  } else if (v === null || !/^<\d{1,3}>/.test(v.toString('latin1'))) rawWith(true);
  else f.set('MESSAGE', expect.any(String) as unknown as string);
  f.set('KAFKA.TOPIC', topic);
  f.set('KAFKA.PARTITION', 0);
  f.set('KAFKA.OFFSET', String(offset));
  if (r.key !== null) f.set('KAFKA.KEY', textOrBytes(r.key));
  for (const [name, vs] of r.headers) {
    f.set(
      `KAFKA.HEADERS.${name}`,
      vs.length === 1
        ? vs[0] === null
          ? null
          : textOrBytes(vs[0]!)
        : vs.map((x) => (x === null ? null : x.toString('utf8'))),
    );
  }
  return f;
}

/**
 * Produces with kafkajs, which can encode a null header value (as Java
 * clients send) but sizes it first with `Buffer.byteLength(null)`, which
 * throws: that one call is made to count null as 0 bytes while producing.
 */
async function produceWithNullHeaders(topic: string, messages: Message[]): Promise<void> {
  const byteLength = Buffer.byteLength;
  Buffer.byteLength = ((v: Parameters<typeof byteLength>[0], e?: BufferEncoding) =>
    v === null ? 0 : byteLength(v, e)) as typeof byteLength;
  try {
    await produce(cluster.brokers, topic, messages, 100);
  } finally {
    Buffer.byteLength = byteLength;
  }
}

let pipeline: Pipeline | undefined;
afterAll(async () => {
  await pipeline?.stop();
});

describe('KafkaSource under hostile records', () => {
  it(`delivers ${RECORDS} random records once per format (raw, json, syslog), each with exactly its value, key and headers`, async () => {
    const { seed } = fuzzParams(0x4a_f4a, 1);
    const records = [
      ...REGRESSIONS,
      ...fc.sample(record, { seed, numRuns: RECORDS - REGRESSIONS.length }),
    ];
    const topic = unique('hostile');
    await createTopic(cluster, topic, 1);
    await produceWithNullHeaders(topic, records.map(toMessage));
    const protos = snapshotPrototypes();
    const rss = new RssSampler();
    const sources: Record<string, unknown> = {};
    const destinations: Record<string, unknown> = {};
    for (const format of FORMATS) {
      sources[format] = {
        class: KafkaSource,
        options: {
          brokers: cluster.brokers,
          groupId: unique(`hostile-${format}`),
          topics: [topic],
          fromBeginning: true,
          format,
          kafkaLogLevel: 'nothing',
          ...TEST_CONSUMER,
        },
      };
      destinations[`${format}-out`] = { class: CaptureDestination };
    }
    const logs: string[] = [];
    pipeline = new Pipeline(
      defineConfig({
        sources: sources as never,
        destinations: destinations as never,
        logPaths: FORMATS.map((f) => ({ sources: [f], destinations: [`${f}-out`] })),
        log: { stderr: false },
      }),
      {
        logSink: (r) =>
          r.level !== 'debug' && r.level !== 'info' && logs.push(`${r.level} ${r.message}`),
      },
    );
    await pipeline.start();
    const captures = FORMATS.map((f) => pipeline!.component(`${f}-out`) as CaptureDestination);
    // Bounded: a record that stalls its partition (a poison pill) would keep this waiting.
    const all = Promise.all(captures.map((c) => c.waitFor(RECORDS)));
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<string>((r) => (timer = setTimeout(() => r('stalled'), 40_000)));
    const outcome = await Promise.race([all.then(() => 'done'), stalled]);
    clearTimeout(timer);
    const got = captures.map((c) => c.messages.length);
    expect(
      outcome,
      `delivered ${got.join('/')} of ${RECORDS} per format; ${logs.slice(0, 3).join('; ')}`,
    ).toBe('done');
    await pipeline.stop();
    rss.stop();

    let parseErrors = 0;
    FORMATS.forEach((format, k) => {
      const msgs = captures[k]!.messages;
      const offsets = msgs.map((m) => Number(m.get('KAFKA.OFFSET')));
      expect(offsets, `${format}: every offset once, in order`).toEqual(records.map((_, i) => i));
      msgs.forEach((m: LogMessage, i) => {
        const want = expectedFields(records[i]!, format, i, topic);
        for (const [name, v] of want) {
          expect(m.get(name), `${format}, offset ${i}, field ${JSON.stringify(name)}`).toEqual(v);
        }
        if (m.has('KAFKA.PARSE_ERROR')) parseErrors++;
      });
    });
    expect(prototypeChanges(protos)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const nullHeaders = records.filter((r) => r.headers.some(([, vs]) => vs.includes(null))).length;
    await writeResult({
      scenario: 'hostile-kafka',
      load: `${RECORDS} random records on one topic, read by three KafkaSources (raw, json, syslog)`,
      injected:
        'random and invalid-UTF-8 values, keys and headers; empty and null values and header values; repeated headers; __proto__/constructor/toString names and JSON keys',
      sent: RECORDS * FORMATS.length,
      delivered: got.reduce((a, b) => a + b, 0),
      duplicated: 0,
      lost: RECORDS * FORMATS.length - got.reduce((a, b) => a + b, 0),
      peakRssMiB: rss.peakMiB,
      details: {
        deliveredWithParseError: parseErrors,
        recordsWithNullHeaderValues: nullHeaders,
        tombstones: records.filter((r) => r.value === null).length,
        node: process.version,
        date: new Date().toISOString(),
      },
    });
  }, 90_000);
});
