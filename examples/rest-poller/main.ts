/**
 * A REST poller with a persisted cursor: HttpPoller from @logpath/fetcher
 * pages through a local events API (`?after=<cursor>`) into a file. The cursor
 * of the last delivered page is saved under the state directory, so a second
 * run — a restart — resumes where the first one stopped: nothing is read twice
 * and nothing is missed.
 */
import { join } from 'node:path';
import { FileDestination, Pipeline, defineConfig } from '@logpath/core';
import { HttpPoller } from '@logpath/fetcher';
import { outDir, readLines, waitUntil } from '../support.js';
import { startEventsApi } from './events-api.js';

const out = outDir('rest-poller');
const file = join(out, 'events.ndjson');
const api = await startEventsApi();

function pollerPipeline(): Pipeline {
  return new Pipeline(
    defineConfig({
      sources: {
        events: {
          class: HttpPoller,
          options: {
            url: api.url,
            items: 'data', // the array of events in the body
            cursor: { param: 'after', path: 'next' }, // ?after=<next of the previous page>
            interval: 200, // poll every 200 ms when there is nothing new
          },
        },
      },
      destinations: {
        file: { class: FileDestination, options: { path: file, template: '${MESSAGE}' } },
      },
      logPaths: [{ sources: ['events'], destinations: ['file'] }],
      stateDir: join(out, 'state'), // where the cursor is kept between runs
      log: { stderr: false },
    }),
  );
}

api.add(7);
let pipeline = pollerPipeline();
await pipeline.start();
await waitUntil('7 events in the file', () => readLines(file).length >= 7);
await pipeline.stop(); // saves the cursor of the last delivered page
const afters = (list: (string | null)[]): string => list.map((a) => a ?? '(none)').join(', ');
console.log(
  `run 1: ${readLines(file).length} events; requests with after = ${afters(api.requests)}`,
);

api.add(4); // new events while the poller is down
const before = api.requests.length;
pipeline = pollerPipeline();
await pipeline.start();
await waitUntil('11 events in the file', () => readLines(file).length >= 11);
await pipeline.stop();
await api.close();
console.log(`run 2: requests with after = ${afters(api.requests.slice(before))}`);

const seqs = readLines(file).map((l) => (JSON.parse(l) as { seq: number }).seq);
console.log(`file ${file}: events ${seqs.join(',')}`);
if (seqs.join() !== '1,2,3,4,5,6,7,8,9,10,11') throw new Error('an event is missing or repeated');
