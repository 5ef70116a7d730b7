/**
 * A custom batching destination: BulkHttpDestination (bulk-destination.ts)
 * sends batches of 10 to a bulk API (bulk-api.ts) that is down at first, then
 * resets a connection, throttles, fails once, and then accepts — except the
 * batch holding an order without an amount, which it refuses (400): that batch
 * goes to a fallback file. Every order ends up once, at the API or in the
 * fallback file, and each result code shows up.
 */
import { join } from 'node:path';
import { FileDestination, LogMessage, LogSource, Pipeline, defineConfig } from '@logpath/core';
import { outDir, readLines, waitUntil } from '../support.js';
import { bulkApi, freePort } from './bulk-api.js';
import { BulkHttpDestination } from './bulk-destination.js';

const out = outDir('batching-destination');
const MESSAGES = 26;
const INVALID = 13;

/** Posts MESSAGES orders (number INVALID without an amount), then idles until stopped. */
class OrderSource extends LogSource {
  override async run(): Promise<void> {
    for (let id = 1; id <= MESSAGES; id++) {
      const msg = new LogMessage(`order ${id}`).set('id', id);
      if (id !== INVALID) msg.set('amount', id * 10);
      if (!this.postMessage(msg)) await this.waitForWindow();
    }
    await new Promise((resolve) => this.signal.addEventListener('abort', resolve, { once: true }));
  }
}

const port = await freePort();
const api = bulkApi(['reset', 503, 500]); // then 200s
const pipeline = new Pipeline(
  defineConfig({
    sources: { orders: { class: OrderSource } },
    destinations: {
      bulk: {
        class: BulkHttpDestination,
        options: { url: `http://127.0.0.1:${port}/bulk`, timeout: 5000 },
        batchLines: 10, // flush after 10 messages,
        batchBytes: 64 * 1024, // or 64 KiB,
        batchTimeout: 300, // or 300 ms after the first message of the batch
        timeReopen: 300, // wait after ERROR and NOT_CONNECTED
        retries: 3,
        fallback: 'rejected', // where dropped messages go
      },
      rejected: { class: FileDestination, options: { path: join(out, 'rejected.ndjson') } },
    },
    logPaths: [{ sources: ['orders'], destinations: ['bulk'] }],
    log: { stderr: process.env.EXAMPLE_VERBOSE === '1' },
  }),
);
await pipeline.start();
const bulk = pipeline.component('bulk') as BulkHttpDestination;
console.log(`sending to http://127.0.0.1:${port}/bulk, which is down`);
await waitUntil('a NOT_CONNECTED', () => bulk.results.NOT_CONNECTED > 0);
await api.listen(port);
console.log('bulk API is up');
const rejectedFile = join(out, 'rejected.ndjson');
await waitUntil(
  `${MESSAGES} orders at the API or in the fallback file`,
  () => api.received.length + readLines(rejectedFile).length >= MESSAGES,
);
await pipeline.stop();
await api.close();

const rejected = readLines(rejectedFile).map((l) => (JSON.parse(l) as { id: number }).id);
console.log(`API answers, in order: ${api.log.join(', ')}`);
console.log(`results: ${JSON.stringify(bulk.results)}`);
console.log(`API received orders ${api.received.join(',')}`);
console.log(`fallback file ${rejectedFile}: orders ${rejected.join(',')}`);
