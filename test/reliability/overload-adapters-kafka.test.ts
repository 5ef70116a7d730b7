/**
 * Overload through KafkaSource: a producer writes records to a 3-partition
 * topic ten times faster than a slow destination writes them, for
 * LOGPATH_SOAK_MS (default 4 s). Flow control pauses the assigned partitions
 * whenever the window is full, so the backlog stays in Kafka, not in the
 * process: RSS must stay under a bound derived from the window and the fetch
 * size. Once the load stops (and the destination recovers) every produced
 * record must be delivered. The figures go to `results/overload-kafka.json`.
 */
import { describe, expect, it, vi } from 'vitest';
import { KafkaSource } from '@logpath/adapter-kafka';
import {
  client,
  createTopic,
  sharedCluster,
  TEST_CONSUMER,
  unique,
} from '../../packages/adapter-kafka/src/test-kafka.js';
import { runOverload } from './overload-runner.js';
import { LOAD_MS, line, mib, MiB } from './overload-support.js';

const cluster = sharedCluster();
/**
 * The backlog stays in the topic, and the mock broker (librdkafka's) keeps
 * only a few MiB per partition, deleting the oldest records beyond (as
 * retention would): a slower destination, small records and six partitions
 * keep even the 30 s soak (150000 records, ~4 MiB per partition) within it.
 * The destination takes a batch of DEST_BATCH per DEST_DELAY_MS: 500 msg/s.
 */
const DEST_BATCH = 50;
const DEST_DELAY_MS = 100;
const DEST_RATE = (DEST_BATCH * 1000) / DEST_DELAY_MS;
const OFFER_RATE = 10 * DEST_RATE;
const PAYLOAD_BYTES = 64;
const PARTITIONS = 6;
/** Records per producer send (all to one partition). */
const PER_SEND = 500;
const MAX_SENDS_IN_FLIGHT = 8;
/** Below a fetched batch (one produce send is PER_SEND records), so a full window pauses the partitions. */
const WINDOW = 400;
const MAX_BYTES_PER_PARTITION = 256 * 1024;
const MAX_BYTES = PARTITIONS * MAX_BYTES_PER_PARTITION;
/**
 * The window plus what the partitions' fetched batches hold (at least 100
 * bytes a record on the wire) at ~2 KiB per record in memory, twice the fetch
 * size for batches fetched before a pause took effect, plus 96 MiB for heap
 * growth, GC lag and the producer in the same process. Without the pauses the
 * consumer would hold the whole backlog: ~10× the destination's share.
 */
const RSS_ALLOWANCE = (WINDOW + MAX_BYTES / 100) * 2048 + 2 * MAX_BYTES + 96 * MiB;

describe('overload through KafkaSource', () => {
  it(
    `pauses partitions under a 10× overload for ${LOAD_MS} ms, keeps RSS bounded, then delivers every record`,
    async () => {
      const topic = unique('overload');
      await createTopic(cluster, topic, PARTITIONS);
      const logs: string[] = [];
      const producer = client(cluster.brokers).producer();
      let produced = 0; // records whose send was acknowledged: they must all arrive
      let next = 0;
      let inFlight = 0;
      let failures = 0;
      let stats!: ReturnType<KafkaSource['kafkaStats']>; // once drained, before the stop
      try {
        await runOverload({
          scenario: 'overload-kafka',
          sourceName: 'kafka',
          source: {
            class: KafkaSource,
            logIwSize: WINDOW,
            options: {
              brokers: cluster.brokers,
              groupId: unique('overload-group'),
              topics: [topic],
              fromBeginning: true,
              maxBytes: MAX_BYTES,
              maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
              // Deliveries of the partitions overlap, so their batches together fill the window.
              partitionsConsumedConcurrently: PARTITIONS,
              kafkaLogLevel: 'warn',
              ...TEST_CONSUMER,
            },
          },
          logLevel: 'debug',
          logSink: (r) => void logs.push(`${r.level} ${r.component ?? ''} ${r.message}`),
          destBatch: DEST_BATCH,
          destDelayMs: DEST_DELAY_MS,
          offerRate: OFFER_RATE,
          rssAllowance: RSS_ALLOWANCE,
          drainTimeoutMs: 120_000, // the backlog in Kafka, at full speed
          connect: async (pipeline) => {
            await producer.connect();
            const src = pipeline.component('kafka') as KafkaSource;
            // Load only once the consumer reads (joining the group takes seconds on a busy machine).
            await vi.waitFor(() => expect(src.kafkaStats().assigned).toBe(PARTITIONS), {
              timeout: 60_000,
              interval: 50,
            });
            const offer = (): boolean => {
              if (inFlight >= MAX_SENDS_IN_FLIGHT) return false;
              const from = next;
              next += PER_SEND;
              inFlight++;
              const messages = Array.from({ length: PER_SEND }, (_, i) => ({
                value: line(from + i, PAYLOAD_BYTES),
                partition: (from / PER_SEND) % PARTITIONS,
              }));
              producer.send({ topic, messages }).then(
                () => {
                  inFlight--;
                  produced += PER_SEND;
                },
                () => {
                  inFlight--;
                  failures++; // not acknowledged: not counted as sent (none happened in the runs so far)
                },
              );
              return true;
            };
            return {
              perCall: PER_SEND,
              offer,
              inFlight: () => inFlight,
              sent: () => produced,
              afterDrain: () => {
                stats = src.kafkaStats();
              },
            };
          },
          report: (f) => ({
            load: `a producer writes ${OFFER_RATE} records/s of ${PAYLOAD_BYTES} bytes to ${PARTITIONS} partitions, 10× a destination taking ${DEST_RATE} msg/s, for ${LOAD_MS / 1000} s`,
            injected: `overload: partitions paused ${stats.flowPauses} times while the window (${WINDOW}) was full`,
            details: {
              producedMsgPerSec: f.perSec(produced),
              throughputMsgPerSec: f.throughput,
              backlogAtLoadEnd: produced - f.deliveredInLoad,
              peakRssDuringLoadMiB: mib(f.peakInLoad),
              ...f.rssDetails,
              drainMsAtFullSpeed: Math.round(f.drainMs),
              produceFailures: failures,
              rebalances: stats.rebalances,
              crashes: stats.crashes,
              note: 'RSS of the test process, which also runs the producer; the drain after the load runs with the destination at full speed',
            },
          }),
          check: (f) => {
            expect(stats.flowPauses, 'flow control paused the partitions').toBeGreaterThan(0);
            // The overload was real: most of what was produced was still in Kafka when the load stopped.
            expect(produced - f.deliveredInLoad).toBeGreaterThan(f.deliveredInLoad);
            // Records the broker deleted before they were read are retention's loss, not the pipeline's.
            expect(
              logs.filter((l) => /Offset out of range/.test(l)).slice(0, 1),
              'the backlog outgrew what the mock broker keeps per partition',
            ).toEqual([]);
          },
          lostMessage: () =>
            `lost records; stats ${JSON.stringify(stats)}; last log lines:\n${logs.slice(-30).join('\n')}`,
        });
      } finally {
        await producer.disconnect(); // after the runner stopped the pipeline
      }
    },
    LOAD_MS + 180_000,
  );
});
