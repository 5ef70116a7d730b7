/**
 * Prototype pollution through every JSON door: `__proto__`, `constructor`
 * and `prototype` keys (top level, nested, in arrays, dotted as
 * `__proto__.polluted`) posted as HttpSource json/ndjson bodies, sent as
 * WebSocketSource json/ndjson frames and produced as KafkaSource json
 * values, plus header and query names of the same kind. Nothing may reach
 * `Object.prototype` (or any other built-in prototype); each key must
 * survive as an ordinary field, in the captured message and in the NDJSON a
 * FileDestination writes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defineConfig, FileDestination, Pipeline, type LogMessage } from '@logpath/core';
import { CaptureDestination, startSource } from '@logpath/core/testing';
import { HttpSource } from '@logpath/adapter-http';
import { WebSocketSource } from '@logpath/adapter-ws';
import { KafkaSource } from '@logpath/adapter-kafka';
import {
  createTopic,
  produce,
  sharedCluster,
  TEST_CONSUMER,
  unique,
} from '../../packages/adapter-kafka/src/test-kafka.js';
import { prototypeChanges, snapshotPrototypes } from './fuzz-support.js';
import { httpSend } from './hostile-net-support.js';

/** Each document carries its number in `n`, so its message can be found wherever it went. */
// prettier-ignore
const DOCS = [
  '{"__proto__":{"polluted":"yes"},"message":"p1"}',
  '{"constructor":{"prototype":{"polluted":"yes"}},"message":"p2"}',
  '{"prototype":{"polluted":"yes"},"message":"p3"}',
  '{"__proto__":"a string","constructor":1,"prototype":null,"message":"p4"}',
  '{"a":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}},"message":"p5"}',
  '{"__proto__.polluted":"yes","constructor.prototype.polluted":"yes","prototype.polluted":"yes","message":"p6"}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}},"toString":"x","valueOf":"y","hasOwnProperty":"z","message":"p7"}',
  '{"message":{"__proto__":{"polluted":"yes"}},"n":"p8"}',
];
const tag = (doc: string): string =>
  (JSON.parse(doc) as { message: unknown; n?: string }).n ??
  String((JSON.parse(doc) as { message: string }).message);

const cluster = sharedCluster();
let pipeline: Pipeline;
let capture: CaptureDestination;
let dir: string;
let protos: ReturnType<typeof snapshotPrototypes>;

beforeAll(async () => {
  protos = snapshotPrototypes();
  dir = await mkdtemp(join(tmpdir(), 'logpath-proto-'));
  const topic = unique('proto');
  await createTopic(cluster, topic, 1);
  await produce(
    cluster.brokers,
    topic,
    DOCS.map((d) => ({
      value: d,
      headers: Object.fromEntries([
        ['__proto__', 'h'],
        ['constructor', 'c'],
      ]),
    })),
  );
  const http = (format: 'json' | 'ndjson') => ({
    class: HttpSource,
    options: {
      host: '127.0.0.1',
      port: 0,
      format,
      path: '/:__proto__',
      headers: ['__proto__', 'constructor', 'x-a'],
    },
  });
  const ws = (format: 'json' | 'ndjson') => ({
    class: WebSocketSource,
    options: { host: '127.0.0.1', port: 0, format, headers: ['__proto__', 'constructor'] },
  });
  const sources = {
    httpJson: http('json'),
    httpNdjson: http('ndjson'),
    wsJson: ws('json'),
    wsNdjson: ws('ndjson'),
    kafka: {
      class: KafkaSource,
      options: {
        brokers: cluster.brokers,
        groupId: unique('proto'),
        topics: [topic],
        fromBeginning: true,
        format: 'json',
        kafkaLogLevel: 'nothing',
        ...TEST_CONSUMER,
      },
    },
  };
  pipeline = new Pipeline(
    defineConfig({
      sources: sources as never,
      destinations: {
        capture: { class: CaptureDestination },
        file: { class: FileDestination, options: { path: join(dir, 'out.ndjson') } },
      },
      logPaths: [{ sources: Object.keys(sources), destinations: ['capture', 'file'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  capture = pipeline.component('capture') as CaptureDestination;
  const port = async (n: string): Promise<number> =>
    (pipeline.component(n) as HttpSource | WebSocketSource).whenListening();
  // An object literal's "__proto__:" would set the prototype: the headers are built from entries.
  const hostileHeaders = Object.fromEntries([
    ['content-type', 'application/json'],
    ['x-a', 'v'],
    ['__proto__', 'hdr'],
    ['constructor', 'ctor'],
  ]) as Record<string, string>;
  const query = '?__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__=q';
  await httpSend(await port('httpJson'), {
    path: `/__proto__${query}`,
    headers: hostileHeaders,
    body: `[${DOCS.join(',')}]`,
  });
  await httpSend(await port('httpNdjson'), {
    path: `/constructor${query}`,
    headers: hostileHeaders,
    body: DOCS.join('\n'),
  });
  for (const [name, frames] of [
    ['wsJson', DOCS],
    ['wsNdjson', [DOCS.join('\n')]],
  ] as const) {
    const ws = new WebSocket(`ws://127.0.0.1:${await port(name)}/${query}`, {
      headers: { constructor: 'ctor' },
    });
    await new Promise((r) => ws.once('open', r));
    for (const f of frames) ws.send(f);
    ws.close();
    await new Promise((r) => ws.once('close', r));
  }
  await capture.waitFor(DOCS.length * 5);
  await pipeline.stop();
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The messages of one source: HTTP and WS ones carry their transport's fields. */
function bySource(prefix: string | undefined): LogMessage[] {
  return capture.messages.filter((m) => {
    if (prefix === 'HTTP') return m.has('HTTP.METHOD');
    if (prefix === 'WS') return m.has('WS.CONNECTION_ID');
    return m.has('KAFKA.TOPIC');
  });
}

describe('JSON keys named after prototype members', () => {
  it('never reach a built-in prototype', () => {
    expect(prototypeChanges(protos)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('survive as ordinary fields through HTTP, WebSocket and Kafka', () => {
    expect(capture.messages.length).toBe(DOCS.length * 5);
    for (const [prefix, count] of [
      ['HTTP', 2],
      ['WS', 2],
      ['KAFKA', 1],
    ] as const) {
      const msgs = bySource(prefix);
      expect(msgs.length, prefix).toBe(DOCS.length * count);
      for (const m of msgs) {
        const doc = DOCS.find((d) => tag(d) === (m.get('n') ?? m.get('MESSAGE')));
        expect(doc, `${prefix}: no document for ${JSON.stringify(m.toJSON())}`).toBeDefined();
        const parsed = JSON.parse(doc!) as Record<string, unknown>;
        for (const k of Object.keys(parsed)) {
          if (k === 'message') continue;
          expect(m.has(k), `${prefix} ${tag(doc!)}: field ${k}`).toBe(true);
          expect(m.get(k), `${prefix} ${tag(doc!)}: field ${k}`).toEqual(parsed[k]);
        }
      }
    }
    // A message field holding an object with a "__proto__" key is kept as its JSON text.
    const p8 = bySource('KAFKA').find((m) => m.get('n') === 'p8')!;
    expect(p8.get('MESSAGE')).toBe('{"__proto__":{"polluted":"yes"}}');
  });

  it('keep header, query and route names of the same kind as plain fields', () => {
    for (const m of bySource('HTTP')) {
      // Node does not keep a header named __proto__: no field, and never Object.prototype.
      expect(m.get('HTTP.HEADERS.__proto__')).toBeUndefined();
      expect(m.get('HTTP.HEADERS.constructor')).toBe('ctor');
      expect(m.get('HTTP.QUERY.__proto__')).toBe('q');
      expect(m.get('HTTP.QUERY.__proto__[polluted]')).toBe('yes');
      expect(['__proto__', 'constructor']).toContain(m.get('HTTP.PARAMS.__proto__'));
    }
    for (const m of bySource('WS')) {
      expect(m.get('WS.HEADERS.constructor')).toBe('ctor');
      expect(m.has('WS.HEADERS.__proto__')).toBe(false);
      expect(m.get('WS.QUERY.__proto__')).toBe('q');
      expect(m.get('WS.QUERY.constructor[prototype][polluted]')).toBe('yes');
    }
    for (const m of bySource('KAFKA')) {
      expect(m.get('KAFKA.HEADERS.__proto__')).toBe('h');
      expect(m.get('KAFKA.HEADERS.constructor')).toBe('c');
    }
  });

  it('an auth header named `constructor` that is not sent is missing (401), not Object', async () => {
    for (const cls of [HttpSource, WebSocketSource] as const) {
      const h = await startSource(cls as typeof HttpSource, {
        options: { host: '127.0.0.1', port: 0, auth: { header: 'constructor', values: ['x'] } },
      });
      try {
        const p = await (h.source as HttpSource).whenListening();
        const a = await httpSend(p, {
          method: 'GET',
          headers:
            cls === HttpSource
              ? {}
              : {
                  upgrade: 'websocket',
                  connection: 'Upgrade',
                  'sec-websocket-version': '13',
                  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
                },
        });
        expect(a.status, cls.name).toBe(cls === HttpSource ? 405 : 401);
        if (cls === HttpSource) {
          const b = await httpSend(p, { headers: { 'content-type': 'text/plain' }, body: 'x' });
          expect(b.status).toBe(401);
        }
      } finally {
        await h.stop();
      }
    }
  });

  it('come out of FileDestination as own keys of each NDJSON line', async () => {
    const lines = (await readFile(join(dir, 'out.ndjson'), 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBe(DOCS.length * 5);
    let withProto = 0;
    for (const line of lines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
      if (Object.hasOwn(o, '__proto__')) withProto++;
    }
    // p1, p4 and p7 from each of the five sources.
    expect(withProto).toBe(3 * 5);
    expect(prototypeChanges(protos)).toEqual([]);
  });
});
