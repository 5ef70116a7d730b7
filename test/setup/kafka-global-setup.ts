/**
 * Vitest global setup: one Kafka-protocol mock cluster (3 brokers) for the
 * whole run, shared with the test workers through `inject('kafkaBrokers')`
 * and `inject('kafkaControlPort')`. With KAFKA_BROKERS set, the same tests
 * run against that external cluster instead (and fault injection is off).
 */
import type { TestProject } from 'vitest/node';
import { MockKafkaCluster } from '../../packages/adapter-kafka/test-support/mock-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers. */
    kafkaBrokers: string;
    /** Control port of the mock cluster, or 0 with an external cluster. */
    kafkaControlPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    project.provide('kafkaBrokers', external);
    project.provide('kafkaControlPort', 0);
    return async () => {};
  }
  const cluster = await MockKafkaCluster.start(3);
  project.provide('kafkaBrokers', cluster.brokers.join(','));
  project.provide('kafkaControlPort', cluster.controlPort);
  return () => cluster.stop();
}
