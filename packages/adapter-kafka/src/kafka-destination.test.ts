import { ConfigError, LogMessage, Pipeline, defineConfig } from '@logpath/core';
import { ArraySource, CaptureDestination, runDestination } from '@logpath/core/testing';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaDestination } from './kafka-destination.js';
import type { KafkaDestinationOptions } from './kafka-destination-options.js';
import { createTopic, readTopic, sharedCluster, unique } from './test-kafka.js';

const cluster = sharedCluster();

async function newTopic(partitions = 3): Promise<string> {
  const topic = unique('dst');
  await createTopic(cluster, topic, partitions);
  return topic;
}

function options(
  topic: string,
  extra: Partial<KafkaDestinationOptions> = {},
): KafkaDestinationOptions {
  return { brokers: cluster.brokers, topic, kafkaLogLevel: 'nothing', ...extra };
}

/** ArraySource → KafkaDestination with a CaptureDestination as fallback; resolves once every message is acknowledged. */
async function withFallback(
  messages: (LogMessage | string)[],
  dest: KafkaDestinationOptions,
  driver: { batchLines?: number; retries?: number; timeReopen?: number } = {},
) {
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ArraySource, options: { messages } } },
      destinations: {
        kafka: { class: KafkaDestination, options: dest, fallback: 'fallback', ...driver },
        fallback: { class: CaptureDestination },
      },
      logPaths: [{ sources: ['input'], destinations: ['kafka'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const input = pipeline.component('input') as ArraySource;
  await input.allAcked();
  const fallback = (pipeline.component('fallback') as CaptureDestination).messages;
  const stats = pipeline.stats();
  await pipeline.stop();
  return { acks: input.acks, fallback, stats };
}

describe('KafkaDestination', () => {
  it('produces each message as one JSON object by default, stamped with its STAMP', async () => {
    const topic = await newTopic(1);
    const msg = new LogMessage('hello').set('HOST', 'web-1').setTimestamp(1700000000456);
    const run = await runDestination(KafkaDestination, {
      options: options(topic),
      messages: [msg, 'second'],
    });
    expect(run.acks).toEqual(['delivered', 'delivered']);
    const [a, b] = await readTopic(cluster.brokers, topic, 2);
    expect(JSON.parse(a!.value!.toString())).toMatchObject({ MESSAGE: 'hello', HOST: 'web-1' });
    expect(a!.timestamp).toBe('1700000000456');
    expect(a!.key).toBeNull();
    expect(JSON.parse(b!.value!.toString())).toMatchObject({ MESSAGE: 'second' });
  });

  it('takes topic, key, value and headers from templates; a key picks the partition Kafka would', async () => {
    const base = unique('tpl');
    await createTopic(cluster, `${base}-a`, 4);
    await createTopic(cluster, `${base}-b`, 4);
    const messages = Array.from({ length: 40 }, (_, i) =>
      new LogMessage(`m${i}`).set('T', i % 2 === 0 ? 'a' : 'b').set('USER', `user-${i % 5}`),
    );
    const run = await runDestination(KafkaDestination, {
      options: options(`${base}-\${T}`, {
        key: '${USER}',
        value: '${MESSAGE}|${USER}',
        headers: { origin: 'logpath-${T}' },
      }),
      messages,
      batchLines: 7,
    });
    expect(run.acks.every((a) => a === 'delivered')).toBe(true);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    for (const t of ['a', 'b']) {
      const records = await readTopic(cluster.brokers, `${base}-${t}`, 20);
      expect(records).toHaveLength(20);
      for (const r of records) {
        const [text, user] = r.value!.toString().split('|');
        expect(Number(text!.slice(1)) % 2).toBe(t === 'a' ? 0 : 1);
        expect(r.key!.toString()).toBe(user);
        expect(r.headers!.origin!.toString()).toBe(`logpath-${t}`);
        expect(r.partition).toBe(
          partitioner({ topic: 'x', partitionMetadata, message: { key: user!, value: null } }),
        );
      }
    }
  });

  it('sends the keyless records of one flush to one partition, the next flush to the next', async () => {
    const topic = await newTopic(3);
    const messages = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await runDestination(KafkaDestination, {
      options: options(topic, { value: '${MESSAGE}' }),
      messages,
      batchLines: 10,
    });
    const records = await readTopic(cluster.brokers, topic, 30);
    const partitionOf = new Map(records.map((r) => [r.value!.toString(), r.partition]));
    const flushes = [0, 10, 20].map(
      (start) => new Set(messages.slice(start, start + 10).map((m) => partitionOf.get(m))),
    );
    for (const parts of flushes) expect(parts.size).toBe(1);
    expect(new Set(flushes.map((s) => [...s][0])).size).toBe(3);
  });

  it('compresses with gzip', async () => {
    const topic = await newTopic(1);
    const messages = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(100)}`);
    await runDestination(KafkaDestination, {
      options: options(topic, { value: '${MESSAGE}', compression: 'gzip' }),
      messages,
    });
    const records = await readTopic(cluster.brokers, topic, 50);
    expect(records.map((r) => r.value!.toString())).toEqual(messages);
  });

  it('drops a record larger than maxMessageBytes on its own (to the fallback); the rest is written once', async () => {
    const topic = await newTopic(1);
    const big = 'x'.repeat(5000);
    const messages = ['a', 'b', 'c', big, 'd', 'e'];
    const { acks, fallback, stats } = await withFallback(
      messages,
      options(topic, { value: '${MESSAGE}', maxMessageBytes: 1000 }),
      {
        batchLines: 100,
      },
    );
    expect(acks.every((a) => a === 'delivered')).toBe(true);
    expect(fallback.map((m) => m.get('MESSAGE'))).toEqual([big]);
    expect(stats.find((s) => s.name === 'kafka')!.fallback).toBe(1);
    const records = await readTopic(cluster.brokers, topic, 5);
    expect(records.map((r) => r.value!.toString())).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('drops a message whose topic is invalid after the retries; the others are written once', async () => {
    const topic = await newTopic(1);
    // Without T the topic template expands to "", which no cluster accepts (the mock creates any other name).
    const messages = ['a', 'b', 'nowhere', 'c'].map((m) =>
      m === 'nowhere' ? new LogMessage(m) : new LogMessage(m).set('T', topic),
    );
    const { acks, fallback } = await withFallback(
      messages,
      options('${T}', { value: '${MESSAGE}' }),
      {
        retries: 2,
        timeReopen: 50,
      },
    );
    expect(acks.every((a) => a === 'delivered')).toBe(true);
    expect(fallback.map((m) => m.get('MESSAGE'))).toEqual(['nowhere']);
    const records = await readTopic(cluster.brokers, topic, 3);
    expect(records.map((r) => r.value!.toString())).toEqual(['a', 'b', 'c']);
  });

  it('fails init with a ConfigError naming each invalid option', async () => {
    const err = await runDestination(KafkaDestination, {
      options: {
        topic: '${unterminated',
        acks: 2,
        compression: 'zstd',
        headers: { h: 5 },
      } as never,
      messages: [],
    }).catch((e: unknown) => e);
    const cause = (err as Error).cause as ConfigError;
    expect(cause).toBeInstanceOf(ConfigError);
    const text = cause.issues.join('\n');
    expect(text).toMatch(/brokers is required/);
    expect(text).toMatch(/topic is not a valid template/);
    expect(text).toMatch(/acks must be one of -1, 0, 1, got 2/);
    expect(text).toMatch(/compression must be one of "none", "gzip", got "zstd"/);
    expect(text).toMatch(/headers.h must be a template string, got 5/);
  });
});
