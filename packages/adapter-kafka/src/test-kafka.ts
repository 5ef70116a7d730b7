/**
 * Test helpers for the Kafka adapter (not part of the published package):
 * the run's shared cluster, topic creation, and a plain kafkajs producer and
 * reader to check what the adapter did.
 */
import { LogDestination, type LogMessage, type SendResult } from '@logpath/core';
import { Kafka, logLevel, type KafkaMessage, type Message } from 'kafkajs';
import { inject } from 'vitest';
import { MockClusterControl, MockKafkaCluster } from '../test-support/mock-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaControlPort: number;
  }
}

/** kafkajs settings that work against the mock cluster (see test-support/mock-cluster.ts). */
export const TEST_CONSUMER = Object.freeze({
  sessionTimeout: 6000,
  heartbeatInterval: 1000,
  maxWaitTimeInMs: 100,
});

/** The run's shared cluster; `controlPort` is 0 when KAFKA_BROKERS points at a real one. */
export function sharedCluster(): { brokers: string[]; controlPort: number } {
  return { brokers: inject('kafkaBrokers').split(','), controlPort: inject('kafkaControlPort') };
}

/** True when the tests run against an external cluster: no fault injection, no private mock clusters. */
export const EXTERNAL = inject('kafkaControlPort') === 0;

let counter = 0;
/** A topic or group name no other test (or earlier run against the same cluster) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** A kafkajs client that logs nothing. */
export function client(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'logpath-test', logLevel: logLevel.NOTHING });
}

/** Creates a topic: through the mock's control socket (it has no CreateTopics), or the admin API. */
export async function createTopic(
  cluster: { brokers: string[]; controlPort: number },
  topic: string,
  partitions: number,
): Promise<void> {
  if (cluster.controlPort !== 0) {
    const control = await MockClusterControl.connect(cluster.controlPort);
    try {
      await control.createTopic(topic, partitions, 1);
    } finally {
      control.close();
    }
    return;
  }
  const admin = client(cluster.brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces `messages` with a bare kafkajs producer, in sends of `batch`. */
export async function produce(
  brokers: string[],
  topic: string,
  messages: Message[],
  batch = 1000,
): Promise<void> {
  const producer = client(brokers).producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batch) {
      await producer.send({ topic, messages: messages.slice(i, i + batch) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A record as read back, with its partition. */
export type ReadRecord = KafkaMessage & { partition: number };

/** Reads `topic` from the beginning with a fresh group until `count` records arrived (or `timeoutMs`). */
export async function readTopic(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const consumer = client(brokers).consumer({ groupId: unique('reader'), ...TEST_CONSUMER });
  const out: ReadRecord[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push({ ...m, partition: batch.partition });
        if (out.length >= count) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enough, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** The group's committed offset per partition of `topic` (-1: none). */
export async function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((res?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Starts a private 3-broker mock cluster with its control connection (for tests that inject faults). */
export async function privateCluster(): Promise<{
  cluster: MockKafkaCluster;
  control: MockClusterControl;
  brokers: string[];
  controlPort: number;
  stop(): Promise<void>;
}> {
  const cluster = await MockKafkaCluster.start(3);
  const control = await MockClusterControl.connect(cluster.controlPort);
  return {
    cluster,
    control,
    brokers: cluster.brokers,
    controlPort: cluster.controlPort,
    async stop() {
      control.close();
      await cluster.stop();
    },
  };
}

/** Resolves after `ms` (for fault timelines, never to wait for an event). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Options of {@link ScriptedDestination}. */
export interface ScriptedOptions {
  /** The result for each message (a promise holds it); default SUCCESS. */
  decide?: (msg: LogMessage) => SendResult | Promise<SendResult>;
}

/** A destination whose per-message results a test decides; keeps what it delivered, in order. */
export class ScriptedDestination extends LogDestination<ScriptedOptions> {
  readonly delivered: LogMessage[] = [];
  #decide: ScriptedOptions['decide'];

  override init(o: ScriptedOptions): void {
    this.#decide = o.decide;
  }

  override send(msg: LogMessage): SendResult | Promise<SendResult> {
    const r = this.#decide?.(msg) ?? this.SUCCESS;
    if (typeof r === 'object') {
      return r.then((code) => {
        if (code === this.SUCCESS || code === true) this.delivered.push(msg);
        return code;
      });
    }
    if (r === this.SUCCESS || r === true) this.delivered.push(msg);
    return r;
  }
}

/** A promise to hold messages with, and the function that releases them. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The `value` of every delivered message of a topic, by partition and offset, as `partition:offset`. */
export function positions(msgs: readonly LogMessage[]): string[] {
  return msgs.map((m) => `${m.getAsString('KAFKA.PARTITION')}:${m.getAsString('KAFKA.OFFSET')}`);
}
