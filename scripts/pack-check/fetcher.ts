// Runs against the installed @logpath/fetcher tarball: HttpPoller with a cursor against a local
// API, and a custom LogFetcher, both for real.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogMessage, Pipeline, defineConfig } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import { FetchStatus, HttpPoller, LogFetcher, type FetchResult } from '@logpath/fetcher';

const events = ['e1', 'e2', 'e3'];
const api = createServer((req, res) => {
  const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ data: events.slice(after), next: String(events.length) }));
});
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
const port = (api.address() as AddressInfo).port;

class Countdown extends LogFetcher {
  #n = 2;
  override fetch(): FetchResult {
    return this.#n > 0
      ? [FetchStatus.SUCCESS, new LogMessage(`n=${this.#n--}`)]
      : FetchStatus.NO_DATA;
  }
}

const pipeline = new Pipeline(
  defineConfig({
    sources: {
      poll: {
        class: HttpPoller,
        options: {
          url: `http://127.0.0.1:${port}/events`,
          items: 'data',
          cursor: { param: 'after', path: 'next' },
          interval: 100,
        },
      },
      countdown: { class: Countdown, options: { fetchNoDataDelay: 100 } },
    },
    destinations: { polled: { class: CaptureDestination }, counted: { class: CaptureDestination } },
    logPaths: [
      { sources: ['poll'], destinations: ['polled'] },
      { sources: ['countdown'], destinations: ['counted'] },
    ],
    stateDir: mkdtempSync(join(tmpdir(), 'pack-check-fetcher-')),
    log: { stderr: false },
  }),
);
await pipeline.start();
const polled = pipeline.component('polled') as CaptureDestination;
await polled.waitFor(3);
await (pipeline.component('counted') as CaptureDestination).waitFor(2);
await pipeline.stop();
api.close();
const got = polled.messages.map((m) => m.getAsString('MESSAGE'));
if (got.join() !== events.join()) throw new Error(`unexpected messages ${JSON.stringify(got)}`);
console.log('fetcher: ok');
