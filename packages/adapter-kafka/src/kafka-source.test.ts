import {
  ConfigError,
  DestinationResult,
  Pipeline,
  defineConfig,
  type DestinationConfig,
  type InternalLogRecord,
  type LogMessage,
} from '@logpath/core';
import { startSource } from '@logpath/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { KafkaSource } from './kafka-source.js';
import type { KafkaSourceOptions } from './kafka-source-options.js';
import {
  ScriptedDestination,
  TEST_CONSUMER,
  client,
  committedOffsets,
  createTopic,
  gate,
  positions,
  produce,
  sharedCluster,
  unique,
} from './test-kafka.js';

const cluster = sharedCluster();

function options(
  topic: string | RegExp,
  extra: Partial<KafkaSourceOptions> = {},
): KafkaSourceOptions {
  return {
    brokers: cluster.brokers,
    groupId: unique('g'),
    topics: [topic],
    fromBeginning: true,
    kafkaLogLevel: 'nothing',
    ...TEST_CONSUMER,
    ...extra,
  };
}

async function topicWith(
  partitions: number,
  records: number,
  make = (i: number) => ({ value: `m${i}` }),
): Promise<string> {
  const topic = unique('src');
  await createTopic(cluster, topic, partitions);
  if (records > 0)
    await produce(
      cluster.brokers,
      topic,
      Array.from({ length: records }, (_, i) => make(i)),
    );
  return topic;
}

/** Runs the source into `destinations` (the first is the log path's destination). */
async function runPipeline(
  source: KafkaSourceOptions,
  destinations: Record<string, DestinationConfig>,
  extra: { logIwSize?: number; stopTimeout?: number } = {},
): Promise<{
  pipeline: Pipeline;
  source: KafkaSource;
  dest: ScriptedDestination;
  logs: InternalLogRecord[];
}> {
  const logs: InternalLogRecord[] = [];
  const [first] = Object.keys(destinations);
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        kafka: { class: KafkaSource, options: source, logIwSize: extra.logIwSize ?? 1000 },
      },
      destinations,
      logPaths: [{ sources: ['kafka'], destinations: [first!] }],
      stopTimeout: extra.stopTimeout ?? 10_000,
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await pipeline.start();
  return {
    pipeline,
    source: pipeline.component('kafka') as KafkaSource,
    dest: pipeline.component(first!) as ScriptedDestination,
    logs,
  };
}

describe('KafkaSource', () => {
  it('posts each record with MESSAGE, STAMP, TRANSPORT and the KAFKA fields', async () => {
    const topic = await topicWith(1, 0);
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    await produce(cluster.brokers, topic, [
      {
        value: 'hello',
        key: 'k1',
        timestamp: '1700000000123',
        headers: { trace: 'abc', multi: ['a', 'b'] },
      },
      { value: binary, key: null },
      { value: null },
    ]);
    const h = await startSource(KafkaSource, { options: options(topic) });
    try {
      const [a, b, c] = await h.waitFor(3, 15_000);
      expect(a!.get('MESSAGE')).toBe('hello');
      expect(a!.timestampMs).toBe(1700000000123);
      expect(a!.get('TRANSPORT')).toBe('kafka');
      expect(a!.get('KAFKA.TOPIC')).toBe(topic);
      expect(a!.get('KAFKA.PARTITION')).toBe(0);
      expect(a!.get('KAFKA.OFFSET')).toBe('0');
      expect(a!.get('KAFKA.KEY')).toBe('k1');
      expect(a!.get('KAFKA.HEADERS.trace')).toBe('abc');
      expect(a!.get('KAFKA.HEADERS.multi')).toEqual(['a', 'b']);
      expect(b!.get('MESSAGE')).toEqual(new Uint8Array(binary));
      expect(b!.has('KAFKA.KEY')).toBe(false);
      expect(b!.get('KAFKA.OFFSET')).toBe('1');
      expect(c!.get('MESSAGE')).toBe('');
    } finally {
      await h.stop();
    }
  });

  it("format json: the value's fields become fields, MESSAGE comes from messageField", async () => {
    const topic = await topicWith(1, 0);
    await produce(cluster.brokers, topic, [
      { value: JSON.stringify({ msg: 'hi', level: 'info', n: 3, nested: { a: [1, 2] } }) },
      { value: JSON.stringify({ level: 'warn', msg: { not: 'a string' } }) },
      { value: 'not json' },
      { value: '[1,2]' },
      { value: Buffer.from([0xc3, 0x28]) },
    ]);
    const h = await startSource(KafkaSource, {
      options: options(topic, { format: 'json', messageField: 'msg' }),
    });
    try {
      const [a, b, c, d, e] = await h.waitFor(5, 15_000);
      expect(a!.get('MESSAGE')).toBe('hi');
      expect(a!.get('level')).toBe('info');
      expect(a!.get('n')).toBe(3);
      expect(a!.get('nested')).toEqual({ a: [1, 2] });
      expect(a!.has('KAFKA.PARSE_ERROR')).toBe(false);
      expect(a!.get('KAFKA.TOPIC')).toBe(topic);
      expect(b!.get('MESSAGE')).toBe('{"not":"a string"}');
      expect(c!.get('MESSAGE')).toBe('not json');
      expect(c!.getAsString('KAFKA.PARSE_ERROR')).toMatch(/not JSON/);
      expect(d!.get('MESSAGE')).toBe('[1,2]');
      expect(d!.getAsString('KAFKA.PARSE_ERROR')).toMatch(/an array, not an object/);
      expect(e!.get('MESSAGE')).toEqual(new Uint8Array([0xc3, 0x28]));
      expect(e!.getAsString('KAFKA.PARSE_ERROR')).toMatch(/not valid UTF-8/);
    } finally {
      await h.stop();
    }
  });

  it('format syslog: parses lines, keeps their timestamp, delivers other values raw with the reason', async () => {
    const topic = await topicWith(1, 0);
    await produce(cluster.brokers, topic, [
      {
        value: '<165>1 2023-10-11T22:14:15.003Z web-1 nginx 42 ID7 - request done',
        timestamp: '1700000000000',
      },
      { value: 'plain text', timestamp: '1700000000000' },
      { value: '<13>no timestamp here', timestamp: '1700000000000' },
    ]);
    const h = await startSource(KafkaSource, { options: options(topic, { format: 'syslog' }) });
    try {
      const [a, b, c] = await h.waitFor(3, 15_000);
      expect(a!.get('HOST')).toBe('web-1');
      expect(a!.get('PROGRAM')).toBe('nginx');
      expect(a!.get('MESSAGE')).toBe('request done');
      expect(a!.getTimestamp().toISOString()).toBe('2023-10-11T22:14:15.003Z');
      expect(a!.get('KAFKA.OFFSET')).toBe('0');
      expect(b!.get('MESSAGE')).toBe('plain text');
      expect(b!.getAsString('KAFKA.PARSE_ERROR')).toMatch(/no <PRI> header/);
      expect(c!.timestampMs).toBe(1700000000000);
      expect(c!.has('KAFKA.PARSE_ERROR')).toBe(false);
    } finally {
      await h.stop();
    }
  });

  it('delivers every record of every partition once, in offset order per partition', async () => {
    const topic = await topicWith(3, 0);
    await produce(
      cluster.brokers,
      topic,
      Array.from({ length: 300 }, (_, i) => ({ value: `m${i}`, key: `k${i % 7}` })),
      50,
    );
    const { pipeline, dest } = await runPipeline(options(topic), {
      out: { class: ScriptedDestination, options: {} },
    });
    try {
      await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThanOrEqual(300), {
        timeout: 15_000,
      });
      const byPartition = new Map<number, number[]>();
      for (const m of dest.delivered) {
        const p = m.get('KAFKA.PARTITION') as number;
        byPartition.set(p, [...(byPartition.get(p) ?? []), Number(m.get('KAFKA.OFFSET'))]);
      }
      let total = 0;
      for (const offsets of byPartition.values()) {
        expect(offsets).toEqual(offsets.map((_, i) => i));
        total += offsets.length;
      }
      expect(total).toBe(300);
    } finally {
      await pipeline.stop();
    }
  });

  it("commit 'delivered' never passes a message still in flight, even when later ones are delivered", async () => {
    const topic = await topicWith(1, 20);
    const held = gate();
    const source = options(topic, { drainTimeout: 300 });
    const { pipeline, dest } = await runPipeline(
      source,
      {
        out: {
          class: ScriptedDestination,
          fallback: 'slow',
          options: {
            decide: (m: LogMessage) =>
              m.get('KAFKA.OFFSET') === '7' ? DestinationResult.DROP : DestinationResult.SUCCESS,
          },
        },
        // Offset 7 goes to the fallback, which holds it: acks now arrive out of order.
        slow: {
          class: ScriptedDestination,
          options: { decide: () => held.wait.then(() => DestinationResult.SUCCESS) },
        },
      },
      { stopTimeout: 3000 },
    );
    await vi.waitFor(() => expect(dest.delivered.length).toBe(19), { timeout: 15_000 });
    await pipeline.stop();
    held.open();
    expect((await committedOffsets(cluster.brokers, source.groupId, topic)).get(0)).toBe(7);

    // The next member of the group starts at the message that was not delivered.
    const again = await startSource(KafkaSource, {
      options: { ...source, groupId: source.groupId },
    });
    try {
      const [first] = await again.waitFor(1, 15_000);
      expect(first!.get('KAFKA.OFFSET')).toBe('7');
      await again.waitFor(13, 15_000);
      expect(positions(again.messages)).toEqual(Array.from({ length: 13 }, (_, i) => `0:${i + 7}`));
    } finally {
      await again.stop();
    }
  });

  it("commit 'delivered' counts a dropped message as done", async () => {
    const topic = await topicWith(1, 20);
    const source = options(topic);
    const { pipeline, dest } = await runPipeline(source, {
      out: {
        class: ScriptedDestination,
        options: {
          decide: (m: LogMessage) =>
            m.get('KAFKA.OFFSET') === '7' ? DestinationResult.DROP : DestinationResult.SUCCESS,
        },
      },
    });
    try {
      await vi.waitFor(() => expect(dest.delivered.length).toBe(19), { timeout: 15_000 });
      await vi.waitFor(async () =>
        expect((await committedOffsets(cluster.brokers, source.groupId, topic)).get(0)).toBe(20),
      );
    } finally {
      await pipeline.stop();
    }
  });

  it("commit 'received' commits what was posted, delivered or not", async () => {
    const topic = await topicWith(1, 20);
    const held = gate();
    const source = options(topic, { commit: 'received' });
    const { pipeline, source: src } = await runPipeline(
      source,
      {
        out: {
          class: ScriptedDestination,
          options: {
            decide: (m: LogMessage) =>
              m.get('KAFKA.OFFSET') === '7'
                ? held.wait.then(() => DestinationResult.SUCCESS)
                : DestinationResult.SUCCESS,
          },
        },
      },
      { stopTimeout: 2000 },
    );
    try {
      await vi.waitFor(
        async () =>
          expect((await committedOffsets(cluster.brokers, source.groupId, topic)).get(0)).toBe(20),
        { timeout: 15_000 },
      );
      expect(src.kafkaStats().inFlight).toBe(0); // no per-message tracking in this mode
    } finally {
      held.open();
      await pipeline.stop();
    }
  });

  it('subscribes to topics by RegExp', async () => {
    const prefix = unique('rx');
    await createTopic(cluster, `${prefix}-a`, 1);
    await createTopic(cluster, `${prefix}-b`, 2);
    await produce(cluster.brokers, `${prefix}-a`, [{ value: 'from a' }]);
    await produce(cluster.brokers, `${prefix}-b`, [{ value: 'from b' }]);
    const h = await startSource(KafkaSource, { options: options(new RegExp(`^${prefix}-`)) });
    try {
      const msgs = await h.waitFor(2, 15_000);
      expect(msgs.map((m) => m.get('MESSAGE')).sort()).toEqual(['from a', 'from b']);
    } finally {
      await h.stop();
    }
  });

  it('uses a Kafka instance given as kafka', async () => {
    const topic = await topicWith(1, 2);
    const { brokers: _b, kafkaLogLevel: _l, ...rest } = options(topic);
    const h = await startSource(KafkaSource, {
      options: { ...rest, kafka: client(cluster.brokers) },
    });
    try {
      expect((await h.waitFor(2, 15_000)).map((m) => m.get('MESSAGE'))).toEqual(['m0', 'm1']);
    } finally {
      await h.stop();
    }
  });

  it('fails init with a ConfigError naming each invalid option', async () => {
    const bad = {
      brokers: ['nohost'],
      groupId: '',
      topics: [],
      commit: 'sometimes',
      maxInFlight: 0,
    };
    const err = await startSource(KafkaSource, { options: bad as never }).catch((e: unknown) => e);
    const cause = (err as Error).cause as ConfigError;
    expect(cause).toBeInstanceOf(ConfigError);
    expect(cause.issues.join('\n')).toMatch(/brokers must be/);
    expect(cause.issues.join('\n')).toMatch(/groupId must be/);
    expect(cause.issues.join('\n')).toMatch(/topics must be/);
    expect(cause.issues.join('\n')).toMatch(
      /commit must be one of "delivered", "received", got "sometimes"/,
    );
    expect(cause.issues.join('\n')).toMatch(/maxInFlight must be an integer/);
  });
});
