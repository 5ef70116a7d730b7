// Runs against the installed @logpath/adapter-kafka tarball without a broker: options are
// validated in init(), and a pipeline whose broker is unreachable starts and stops promptly.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConfigError, Pipeline, defineConfig } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import {
  DEFAULT_KAFKA_SOURCE_OPTIONS,
  KafkaDestination,
  KafkaSource,
} from '@logpath/adapter-kafka';

new KafkaDestination().init({ brokers: ['localhost:9092'], topic: 't' });

/** A pipeline reading `topics` from a broker at `brokers`. */
function pipelineOf(brokers: string, topics: string[]): Pipeline {
  return new Pipeline(
    defineConfig({
      sources: {
        kafka: {
          class: KafkaSource,
          options: {
            brokers,
            groupId: 'pack-check',
            topics,
            connectionTimeout: 200,
            kafkaLogLevel: 'nothing',
          },
          timeReopen: 100,
        },
      },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: ['kafka'], destinations: ['capture'] }],
      stopTimeout: 5000,
      log: { stderr: false },
    }),
  );
}

let refused: unknown;
await pipelineOf('localhost:9092', [])
  .start()
  .catch((err: unknown) => (refused = err));
const cause = (refused as { cause?: unknown } | undefined)?.cause;
if (!(cause instanceof ConfigError))
  throw new Error(`expected a ConfigError, got ${String(refused)}`);
if (DEFAULT_KAFKA_SOURCE_OPTIONS.commit !== 'delivered') throw new Error('unexpected defaults');

// A port nothing listens on: reserve one, then free it.
const probe = createServer();
await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
const deadPort = (probe.address() as AddressInfo).port;
await new Promise((resolve) => probe.close(resolve));

const pipeline = pipelineOf(`127.0.0.1:${deadPort}`, ['t']);
await pipeline.start();
await new Promise((resolve) => setTimeout(resolve, 300));
const t0 = Date.now();
await pipeline.stop();
if (Date.now() - t0 > 10_000) throw new Error('stop() took more than 10 s');
console.log('adapter-kafka: ok');
