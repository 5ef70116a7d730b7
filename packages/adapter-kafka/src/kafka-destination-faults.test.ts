import { Pipeline, defineConfig, type AckStatus, type LogMessage } from '@logpath/core';
import { ArraySource, CaptureDestination } from '@logpath/core/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaDestination } from './kafka-destination.js';
import type { KafkaDestinationOptions } from './kafka-destination-options.js';
import { EXTERNAL, createTopic, pause, privateCluster, readTopic, unique } from './test-kafka.js';

type Cluster = Awaited<ReturnType<typeof privateCluster>>;
let current: Cluster | undefined;

afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function setup(partitions: number): Promise<{ c: Cluster; topic: string }> {
  const c = await privateCluster();
  current = c;
  const topic = unique('dfault');
  await createTopic(c, topic, partitions);
  return { c, topic };
}

/** Starts ArraySource(messages) → KafkaDestination (fallback: a capture). */
async function start(
  messages: readonly (LogMessage | string)[],
  options: KafkaDestinationOptions,
  driver: { batchLines?: number; timeReopen?: number; retries?: number } = {},
) {
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ArraySource, options: { messages } } },
      destinations: {
        kafka: { class: KafkaDestination, options, fallback: 'fallback', ...driver },
        fallback: { class: CaptureDestination },
      },
      logPaths: [{ sources: ['input'], destinations: ['kafka'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const input = pipeline.component('input') as ArraySource;
  return {
    pipeline,
    input,
    fallback: (pipeline.component('fallback') as CaptureDestination).messages,
    kafka: () => pipeline.stats().find((s) => s.name === 'kafka')!,
  };
}

/** Values read back: how many distinct, and how many were written more than once. */
function tally(values: string[]): { distinct: number; duplicates: number } {
  const set = new Set(values);
  return { distinct: set.size, duplicates: values.length - set.size };
}

function allDelivered(acks: readonly AckStatus[], n: number): void {
  expect(acks.filter((a) => a === 'delivered')).toHaveLength(n);
}

describe.skipIf(EXTERNAL)(
  'KafkaDestination under faults (private mock clusters; skipped against KAFKA_BROKERS)',
  () => {
    it('loses no acknowledged record while partition leaders move (immune to tulios/kafkajs#1798)', async () => {
      const { c, topic } = await setup(6);
      const N = 30_000;
      const messages = Array.from({ length: N }, (_, i) => String(i));
      // Keyed, so that every flush spans all six partitions (and so all three leaders).
      const { pipeline, input } = await start(
        messages,
        {
          brokers: c.brokers,
          topic,
          key: '${MESSAGE}',
          value: '${MESSAGE}',
          kafkaLogLevel: 'nothing',
        },
        {
          // Small flushes: many sends (each waiting for its acks) span the leader moves.
          batchLines: 100,
        },
      );
      let moves = 0;
      let stop = false;
      const mover = (async () => {
        for (let k = 0; !stop; k++) {
          await c.control.setLeader(topic, k % 6, ((k * 7) % 3) + 1);
          moves++;
          await pause(20);
        }
      })();
      try {
        await input.allAcked();
      } finally {
        stop = true;
        await mover;
        await pipeline.stop();
      }
      expect(moves).toBeGreaterThan(20);
      allDelivered(input.acks, N);
      const records = await readTopic(c.brokers, topic, N, 60_000);
      const { distinct } = tally(records.map((r) => r.value!.toString()));
      expect(distinct).toBe(N);
    }, 120_000);

    it('waits out a broker that is down, then writes every record exactly once', async () => {
      const { c, topic } = await setup(6);
      const N = 3000;
      const kafka = new Kafka({
        brokers: c.brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 300 },
      });
      // The mock places leaders at random: make broker 2 lead partitions, so its outage hits.
      await c.control.setLeader(topic, 1, 2);
      await c.control.setLeader(topic, 4, 2);
      await c.control.brokerDown(2);
      const messages = Array.from({ length: N }, (_, i) => String(i));
      const {
        pipeline,
        input,
        fallback,
        kafka: stats,
      } = await start(
        messages,
        { kafka, topic, key: '${MESSAGE}', value: '${MESSAGE}' },
        { batchLines: 300, timeReopen: 300, retries: 2 },
      );
      try {
        // Records for the partitions on broker 2 cannot be written; the others are, and are not sent again.
        await vi.waitFor(() => expect(stats().retried).toBeGreaterThan(2), { timeout: 60_000 });
        expect(input.acked).toBeLessThan(N);
        await c.control.brokerUp(2);
        await input.allAcked();
      } finally {
        await pipeline.stop();
      }
      allDelivered(input.acks, N);
      expect(fallback).toHaveLength(0);
      const records = await readTopic(c.brokers, topic, N, 60_000);
      expect(tally(records.map((r) => r.value!.toString()))).toEqual({
        distinct: N,
        duplicates: 0,
      });
    }, 120_000);

    it('sends a batch the broker refuses as too large record by record; drops a single refused record', async () => {
      const { c, topic } = await setup(1);
      // MESSAGE_TOO_LARGE (10) for the next produce request: the first flush of 20 records.
      await c.control.pushErrors(0, [10]);
      const first = await start(
        Array.from({ length: 20 }, (_, i) => `r${i}`),
        { brokers: c.brokers, topic, value: '${MESSAGE}', kafkaLogLevel: 'nothing' },
        { batchLines: 100 },
      );
      await first.input.allAcked();
      await first.pipeline.stop();
      allDelivered(first.input.acks, 20);
      expect(first.fallback).toHaveLength(0);

      // Now one record alone is refused: it goes to the fallback, the one after it is written.
      await c.control.pushErrors(0, [10]);
      const second = await start(
        ['alone', 'next'],
        { brokers: c.brokers, topic, value: '${MESSAGE}', kafkaLogLevel: 'nothing' },
        { batchLines: 1 },
      );
      await second.input.allAcked();
      await second.pipeline.stop();
      expect(second.fallback.map((m) => m.get('MESSAGE'))).toEqual(['alone']);
      const records = await readTopic(c.brokers, topic, 21);
      expect(records.map((r) => r.value!.toString())).toEqual([
        ...Array.from({ length: 20 }, (_, i) => `r${i}`),
        'next',
      ]);
    }, 60_000);
  },
);
