/**
 * Kafka to HTTP: a KafkaSource reads a topic (as JSON) and an HttpDestination
 * posts the records, in NDJSON batches, to an HTTP endpoint. Offsets are
 * committed only once a record is delivered, so the pair is at-least-once.
 *
 * Needs a broker: KAFKA_BROKERS=host:9092[,…]. KAFKA_TOPIC (default
 * `logpath-example`) is created if it does not exist. The example produces a
 * few records itself, stands up a small local HTTP collector as the endpoint
 * (or posts to HTTP_URL), and stops once the collector has them all.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pipeline, defineConfig } from '@logpath/core';
import { KafkaSource } from '@logpath/adapter-kafka';
import { HttpDestination } from '@logpath/adapter-http';
import { outDir, waitUntil } from '../support.js';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) {
  console.error(
    'set KAFKA_BROKERS, e.g. KAFKA_BROKERS=localhost:9092 npm run example -- kafka-to-http',
  );
  process.exit(1);
}
const topic = process.env.KAFKA_TOPIC ?? 'logpath-example';
const out = outDir('kafka-to-http');
const run = randomUUID().slice(0, 8); // marks this run's records: the topic may hold older ones
const RECORDS = 5;

// The HTTP endpoint: a collector that appends what it receives to received.ndjson.
const received = join(out, 'received.ndjson');
let mine = 0;
const collector = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    appendFileSync(received, body);
    const lines = body.split('\n').filter(Boolean);
    mine += lines.filter((l) => (JSON.parse(l) as { run?: string }).run === run).length;
    console.log(`collector: ${req.method} ${req.url} with ${lines.length} records`);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const url =
  process.env.HTTP_URL ?? `http://127.0.0.1:${(collector.address() as AddressInfo).port}/bulk`;

// Put a few records on the topic, with a plain kafkajs producer.
const kafka = new Kafka({
  brokers: brokers.split(','),
  clientId: 'logpath-example',
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
await admin.connect();
await admin
  .createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
  .catch(() => {
    // Already there, or created by whoever runs the cluster.
  });
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
await producer.send({
  topic,
  messages: Array.from({ length: RECORDS }, (_, i) => ({
    key: `user-${i % 2}`,
    value: JSON.stringify({ message: `order ${i} placed`, run, amount: 10 * (i + 1) }),
  })),
});
await producer.disconnect();
console.log(`produced ${RECORDS} records to ${topic} (run ${run})`);

const pipeline = new Pipeline(
  defineConfig({
    sources: {
      kafka: {
        class: KafkaSource,
        options: {
          brokers,
          groupId: `logpath-example-${run}`, // a new group: read the topic from the beginning
          topics: [topic],
          fromBeginning: true,
          format: 'json', // fields of the JSON value become fields; `message` becomes MESSAGE
          kafkaLogLevel: 'error',
          sessionTimeout: 6000,
          heartbeatInterval: 1000,
          maxWaitTimeInMs: 100,
        },
      },
    },
    destinations: {
      http: {
        class: HttpDestination,
        options: { url, format: 'ndjson' },
        batchLines: 100, // one request per 100 records…
        batchTimeout: 200, // …or after 200 ms, whichever comes first
      },
    },
    logPaths: [{ sources: ['kafka'], destinations: ['http'] }],
    stateDir: join(out, 'state'),
    log: { stderr: false },
  }),
);
await pipeline.start();
console.log(`reading ${topic} from ${brokers}, posting to ${url}`);
if (process.env.HTTP_URL === undefined) {
  await waitUntil(`${RECORDS} records at the collector`, () => mine >= RECORDS, 60_000);
  console.log(`collector received all ${RECORDS} records of run ${run}; written to ${received}`);
  await pipeline.stop();
  collector.close();
} else {
  process.once('SIGINT', () => void pipeline.stop().then(() => collector.close()));
}
