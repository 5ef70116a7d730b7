/**
 * HTTP to file: an HttpSource takes NDJSON, JSON and text bodies on
 * `/ingest/:tenant` and a FileDestination writes one NDJSON file per tenant.
 *
 * With `respond: 'delivered'` the server answers 200 only once the request's
 * messages are in the file, so a client that retries anything else gets
 * at-least-once delivery. The example posts three requests itself, prints the
 * files and stops; `-- --serve` keeps it running for your own `curl`s.
 */
import { join } from 'node:path';
import { FileDestination, Pipeline, defineConfig } from '@logpath/core';
import { HttpSource } from '@logpath/adapter-http';
import { outDir, readLines } from '../support.js';

const out = outDir('http-to-file');
const serve = process.argv.includes('--serve');

const pipeline = new Pipeline(
  defineConfig({
    sources: {
      web: {
        class: HttpSource,
        options: {
          host: '127.0.0.1',
          port: Number(process.env.PORT ?? (serve ? 8080 : 0)), // 0: any free port
          path: '/ingest/:tenant',
          respond: 'delivered',
        },
      },
    },
    destinations: {
      // A path template: each tenant gets its own file.
      file: {
        class: FileDestination,
        options: { path: join(out, '${HTTP.PARAMS.tenant}.ndjson') },
      },
    },
    logPaths: [{ sources: ['web'], destinations: ['file'] }],
    log: { stderr: serve },
  }),
);
await pipeline.start();
const port = await (pipeline.component('web') as HttpSource).whenListening();
const base = `http://127.0.0.1:${port}/ingest`;
console.log(`listening on ${base}/<tenant>, writing to ${out}`);

async function post(tenant: string, contentType: string, body: string): Promise<void> {
  const res = await fetch(`${base}/${tenant}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  console.log(`POST /ingest/${tenant} (${contentType}) → ${res.status} ${await res.text()}`);
  if (res.status !== 200) throw new Error(`unexpected answer ${res.status}`);
}

if (serve) {
  console.log(
    `try: curl -H 'content-type: application/json' -d '{"message":"hi","user":"ann"}' ${base}/acme`,
  );
  process.once('SIGINT', () => void pipeline.stop());
} else {
  await post(
    'acme',
    'application/x-ndjson',
    '{"message":"login","user":"ann"}\n{"message":"logout","user":"ann"}\n',
  );
  await post('acme', 'application/json', '[{"message":"upload","bytes":1024}]');
  await post('globex', 'text/plain', 'a plain line\nanother one\n');
  await pipeline.stop();
  for (const tenant of ['acme', 'globex']) {
    const file = join(out, `${tenant}.ndjson`);
    console.log(`\n${file}:`);
    for (const line of readLines(file)) console.log(`  ${line}`);
  }
}
