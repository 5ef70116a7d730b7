// Runs against the installed @logpath/adapter-http tarball: HttpSource (respond: 'delivered')
// forwarding to HttpDestination, which posts to a local collector.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pipeline, defineConfig } from '@logpath/core';
import { HTTP_SOURCE_DEFAULTS, HttpDestination, HttpSource } from '@logpath/adapter-http';

const received: string[] = [];
const collector = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => (body += d));
  req.on('end', () => {
    for (const line of body.split('\n').filter(Boolean)) {
      received.push((JSON.parse(line) as { MESSAGE: string }).MESSAGE);
    }
    res.end();
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const collectorPort = (collector.address() as AddressInfo).port;

const pipeline = new Pipeline(
  defineConfig({
    sources: {
      web: { class: HttpSource, options: { host: '127.0.0.1', port: 0, respond: 'delivered' } },
    },
    destinations: {
      up: { class: HttpDestination, options: { url: `http://127.0.0.1:${collectorPort}/bulk` } },
    },
    logPaths: [{ sources: ['web'], destinations: ['up'] }],
    log: { stderr: false },
  }),
);
await pipeline.start();
const port = await (pipeline.component('web') as HttpSource).whenListening();
const res = await fetch(`http://127.0.0.1:${port}/`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-ndjson' },
  body: '{"message":"a"}\n{"message":"b"}\n',
});
await pipeline.stop();
collector.close();
if (res.status !== 200) throw new Error(`HttpSource answered ${res.status}: ${await res.text()}`);
if (received.join() !== 'a,b') throw new Error(`collector got ${JSON.stringify(received)}`);
if (HTTP_SOURCE_DEFAULTS.port !== 8080) throw new Error('HTTP_SOURCE_DEFAULTS not exported');
console.log('adapter-http: ok');
