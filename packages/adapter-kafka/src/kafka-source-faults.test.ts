import { Pipeline, defineConfig, type InternalLogRecord, type LogMessage } from '@logpath/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaSource } from './kafka-source.js';
import {
  EXTERNAL,
  ScriptedDestination,
  TEST_CONSUMER,
  createTopic,
  pause,
  privateCluster,
  produce,
  unique,
} from './test-kafka.js';

const RECORDS = 6000;
const PARTITIONS = 6;

type Cluster = Awaited<ReturnType<typeof privateCluster>>;
let current: Cluster | undefined;

afterEach(async () => {
  await current?.stop();
  current = undefined;
});

/** A private cluster with a 6-partition topic holding RECORDS records whose values are their numbers. */
async function setup(): Promise<{ c: Cluster; topic: string }> {
  const c = await privateCluster();
  current = c;
  const topic = unique('fault');
  await createTopic(c, topic, PARTITIONS);
  // Small sends and small fetches: the topic is read in many batches, so faults hit mid-stream.
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    value: String(i),
    partition: i % PARTITIONS,
  }));
  await produce(c.brokers, topic, records, 60);
  return { c, topic };
}

/** Starts a KafkaSource into a destination slow enough (1 ms a message) for faults to hit mid-stream. */
async function consume(c: Cluster, topic: string, groupId = unique('g'), kafka?: Kafka) {
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        kafka: {
          class: KafkaSource,
          timeReopen: 500,
          options: {
            ...(kafka ? { kafka } : { brokers: c.brokers }),
            groupId,
            topics: [topic],
            fromBeginning: true,
            maxBytesPerPartition: 4096,
            ...TEST_CONSUMER,
          },
        },
      },
      destinations: {
        out: {
          class: ScriptedDestination,
          options: { decide: () => new Promise<3>((r) => setTimeout(() => r(3), 1)) },
        },
      },
      logPaths: [{ sources: ['kafka'], destinations: ['out'] }],
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await pipeline.start();
  const dest = pipeline.component('out') as ScriptedDestination;
  return { pipeline, source: pipeline.component('kafka') as KafkaSource, dest, logs, groupId };
}

/** Distinct record numbers delivered, and how many deliveries repeated one. */
function tally(delivered: readonly LogMessage[]): { distinct: number; duplicates: number } {
  const seen = new Set(delivered.map((m) => m.get('MESSAGE')));
  return { distinct: seen.size, duplicates: delivered.length - seen.size };
}

async function allDelivered(dest: ScriptedDestination, timeout = 60_000): Promise<void> {
  await vi.waitFor(() => expect(tally(dest.delivered).distinct).toBe(RECORDS), {
    timeout,
    interval: 250,
  });
}

// Each test starts its own mock cluster (the faults must not disturb other tests): not with KAFKA_BROKERS.
describe.skipIf(EXTERNAL)(
  'KafkaSource under faults (private mock clusters; skipped against KAFKA_BROKERS)',
  () => {
    it('keeps running and loses nothing while a broker is down', async () => {
      const { c, topic } = await setup();
      const { pipeline, dest, logs } = await consume(c, topic);
      try {
        await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThan(500), {
          timeout: 20_000,
        });
        // The mock places leaders at random: make broker 2 lead partitions, so its outage hits.
        await c.control.setLeader(topic, 1, 2);
        await c.control.setLeader(topic, 4, 2);
        await c.control.brokerDown(2);
        await pause(5000);
        await c.control.brokerUp(2);
        await allDelivered(dest);
        expect(logs.some((l) => l.level === 'warn')).toBe(true);
        expect(pipeline.state).toBe('running');
      } finally {
        await pipeline.stop();
      }
    }, 120_000);

    it('loses nothing while partition leaders move', async () => {
      const { c, topic } = await setup();
      const { pipeline, dest } = await consume(c, topic);
      try {
        await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThan(500), {
          timeout: 20_000,
        });
        for (let round = 0; round < 3; round++) {
          for (let p = 0; p < PARTITIONS; p++)
            await c.control.setLeader(topic, p, ((p + round + 1) % 3) + 1);
          await pause(1000);
        }
        await allDelivered(dest);
      } finally {
        await pipeline.stop();
      }
    }, 120_000);

    it('rejoins and loses nothing when the group coordinator moves', async () => {
      const { c, topic } = await setup();
      const { pipeline, source, dest, groupId } = await consume(c, topic);
      try {
        await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThan(500), {
          timeout: 20_000,
        });
        for (const broker of [2, 3]) {
          await c.control.setCoordinator('group', groupId, broker);
          await pause(2000);
        }
        await allDelivered(dest);
        expect(source.kafkaStats().joins).toBeGreaterThan(1);
      } finally {
        await pipeline.stop();
      }
    }, 120_000);

    it('survives all brokers going down (kafkajs crashes and restarts its consumer)', async () => {
      const { c, topic } = await setup();
      // Short kafkajs retries, so that it gives up (crashes) soon after the brokers are gone.
      const kafka = new Kafka({
        brokers: c.brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 400 },
      });
      const { pipeline, source, dest, logs } = await consume(c, topic, unique('g'), kafka);
      try {
        await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThan(500), {
          timeout: 20_000,
        });
        for (const b of [1, 2, 3]) await c.control.brokerDown(b);
        await vi.waitFor(() => expect(source.kafkaStats().crashes).toBeGreaterThan(0), {
          timeout: 40_000,
          interval: 250,
        });
        for (const b of [1, 2, 3]) await c.control.brokerUp(b);
        await allDelivered(dest, 90_000);
        expect(logs.some((l) => l.level === 'warn' && /consumer crashed/.test(l.message))).toBe(
          true,
        );
        expect(pipeline.state).toBe('running');
      } finally {
        await pipeline.stop();
      }
    }, 180_000);

    it('hands partitions over to a member that joins later, without loss or duplicates', async () => {
      const { c, topic } = await setup();
      const first = await consume(c, topic);
      let second: Awaited<ReturnType<typeof consume>> | undefined;
      try {
        await vi.waitFor(() => expect(first.dest.delivered.length).toBeGreaterThan(500), {
          timeout: 20_000,
        });
        second = await consume(c, topic, first.groupId);
        const both = (): LogMessage[] => [...first.dest.delivered, ...second!.dest.delivered];
        await vi.waitFor(() => expect(second!.source.kafkaStats().joins).toBe(1), {
          timeout: 30_000,
        });
        await vi.waitFor(() => expect(tally(both()).distinct).toBe(RECORDS), {
          timeout: 60_000,
          interval: 250,
        });
        expect(second.dest.delivered.length).toBeGreaterThan(0);
        expect(tally(both()).duplicates).toBe(0);
      } finally {
        await second?.pipeline.stop();
        await first.pipeline.stop();
      }
    }, 120_000);

    it('starts a new consumer when kafkajs gives up on one for good', async () => {
      const { c, topic } = await setup();
      // GROUP_AUTHORIZATION_FAILED (30) is not retriable: the first join fails, kafkajs does not restart.
      await c.control.pushErrors(11, [30]);
      const { pipeline, source, dest, logs } = await consume(c, topic);
      try {
        await allDelivered(dest);
        expect(source.kafkaStats().crashes).toBe(1);
        expect(logs.some((l) => l.level === 'error' && /crashed for good/.test(l.message))).toBe(
          true,
        );
        const stats = pipeline.stats().find((s) => s.name === 'kafka')!;
        expect(stats.errors).toBe(1); // run() failed once and was started again
      } finally {
        await pipeline.stop();
      }
    }, 60_000);
  },
);
