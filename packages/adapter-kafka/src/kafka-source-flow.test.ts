import { DestinationResult, Pipeline, defineConfig, type LogMessage } from '@logpath/core';
import { describe, expect, it, vi } from 'vitest';
import { KafkaSource } from './kafka-source.js';
import type { KafkaCommitMode } from './kafka-source-options.js';
import { MockKafkaCluster } from '../test-support/mock-cluster.js';
import {
  EXTERNAL,
  ScriptedDestination,
  TEST_CONSUMER,
  committedOffsets,
  createTopic,
  gate,
  positions,
  produce,
  sharedCluster,
  unique,
} from './test-kafka.js';

const shared = sharedCluster();

/** Longer than TEST_CONSUMER.sessionTimeout (6 s): a member that stopped heartbeating would be evicted. */
const HOLD_MS = 8500;

async function flowRun(
  commit: KafkaCommitMode,
  extra: {
    maxInFlight?: number;
    logIwSize?: number;
    partitions?: number;
    cluster?: { brokers: string[]; controlPort: number };
  } = {},
) {
  const cluster = extra.cluster ?? shared;
  const topic = unique('flow');
  const partitions = extra.partitions ?? 3;
  await createTopic(cluster, topic, partitions);
  await produce(
    cluster.brokers,
    topic,
    Array.from({ length: 60 }, (_, i) => ({ value: `m${i}`, partition: i % partitions })),
  );
  const held = gate();
  const groupId = unique('g');
  const inFlightSeen: number[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        kafka: {
          class: KafkaSource,
          logIwSize: extra.logIwSize ?? 5,
          options: {
            brokers: cluster.brokers,
            groupId,
            topics: [topic],
            fromBeginning: true,
            commit,
            maxInFlight: extra.maxInFlight,
            kafkaLogLevel: 'nothing',
            ...TEST_CONSUMER,
          },
        },
      },
      destinations: {
        out: {
          class: ScriptedDestination,
          options: {
            decide: (_m: LogMessage) => {
              inFlightSeen.push(source.kafkaStats().inFlight); // called after start
              return held.wait.then(() => DestinationResult.SUCCESS);
            },
          },
        },
      },
      logPaths: [{ sources: ['kafka'], destinations: ['out'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const source = pipeline.component('kafka') as KafkaSource;
  const dest = pipeline.component('out') as ScriptedDestination;
  /** Waits until the group committed all 60 records, then checks that this took one membership. */
  const expectOneMembership = async (): Promise<void> => {
    await vi.waitFor(
      async () => {
        const committed = await committedOffsets(cluster.brokers, groupId, topic);
        expect([...committed.values()].reduce((a, b) => a + b, 0)).toBe(60);
      },
      { timeout: 15_000, interval: 200 },
    );
    // An evicted member's commit fails and it joins again (reading its records a second time).
    expect(source.kafkaStats()).toMatchObject({
      joins: 1,
      rebalances: 0,
      crashes: 0,
      commitErrors: 0,
    });
    expectEachOnce(dest.delivered, 60);
  };
  return { pipeline, source, dest, held, inFlightSeen, expectOneMembership };
}

function expectEachOnce(delivered: readonly LogMessage[], count: number): void {
  const seen = positions(delivered);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.length).toBe(count);
}

describe('KafkaSource flow control', () => {
  it.each(['delivered', 'received'] as const)(
    "commit '%s': a full window pauses the partitions, longer than sessionTimeout, without losing the membership",
    async (commit) => {
      const { pipeline, source, dest, held, expectOneMembership } = await flowRun(commit);
      try {
        await vi.waitFor(() => expect(source.kafkaStats().paused).toBe(true), { timeout: 15_000 });
        const joined = source.kafkaStats().joins;
        expect(joined).toBe(1);
        await new Promise((r) => setTimeout(r, HOLD_MS));
        expect(source.kafkaStats().paused).toBe(true);
        expect(dest.delivered).toHaveLength(0);
        held.open();
        await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThanOrEqual(60), {
          timeout: 15_000,
        });
        await expectOneMembership();
        expect(source.kafkaStats().paused).toBe(false);
        expect(source.kafkaStats().flowPauses).toBeGreaterThanOrEqual(1);
      } finally {
        held.open();
        await pipeline.stop();
      }
    },
    40_000,
  );

  it.skipIf(EXTERNAL)(
    "commit 'delivered': a batch waiting longer than sessionTimeout keeps the membership (private 1-broker cluster: needs the mock)",
    async () => {
      // One broker, one partition, a large window: nothing is paused and kafkajs' only fetcher
      // waits behind the batch in progress, so kafkajs sends no heartbeat; the waiting batch must.
      const own = await MockKafkaCluster.start(1);
      try {
        const { pipeline, source, dest, held, expectOneMembership } = await flowRun('delivered', {
          logIwSize: 1000,
          partitions: 1,
          cluster: { brokers: own.brokers, controlPort: own.controlPort },
        });
        try {
          await vi.waitFor(() => expect(source.kafkaStats().inFlight).toBe(60), {
            timeout: 15_000,
          });
          await new Promise((r) => setTimeout(r, HOLD_MS));
          expect(source.kafkaStats().paused).toBe(false);
          held.open();
          await vi.waitFor(() => expect(dest.delivered.length).toBeGreaterThanOrEqual(60), {
            timeout: 15_000,
          });
          await expectOneMembership();
        } finally {
          held.open();
          await pipeline.stop();
        }
      } finally {
        await own.stop();
      }
    },
    40_000,
  );

  it('maxInFlight bounds the unacknowledged messages of a partition', async () => {
    const { pipeline, source, dest, held, inFlightSeen } = await flowRun('delivered', {
      maxInFlight: 8,
      logIwSize: 1000,
      partitions: 1,
    });
    try {
      held.open();
      await vi.waitFor(() => expect(dest.delivered.length).toBe(60), { timeout: 15_000 });
      expect(positions(dest.delivered)).toEqual(Array.from({ length: 60 }, (_, i) => `0:${i}`));
      expect(Math.max(...inFlightSeen)).toBe(8);
      expect(source.kafkaStats().inFlight).toBe(0);
    } finally {
      await pipeline.stop();
    }
  });
});
