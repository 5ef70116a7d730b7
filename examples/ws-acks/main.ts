/**
 * WebSocket with acknowledgements: a WebSocketSource (`ack: 'message'`) acks
 * each message once the FileDestination has written it, and a resending
 * client keeps what is not acknowledged. The server is stopped and started
 * again in the middle of a burst: what was not acknowledged, and what the
 * client logs while the server is down, is sent after it reconnects, and every
 * message ends up in the file (at least once: a duplicate is possible).
 */
import { join } from 'node:path';
import { FileDestination, Pipeline, defineConfig } from '@logpath/core';
import { WebSocketSource } from '@logpath/adapter-ws';
import { outDir, readLines, waitUntil } from '../support.js';
import { ResendingClient } from './resending-client.js';

const out = outDir('ws-acks');
const file = join(out, 'ws.ndjson');
const BURST = 2000;

/** One server "process": a pipeline from a WebSocketSource on `port` (0: any) to the file. */
async function startServer(port: number): Promise<{ pipeline: Pipeline; port: number }> {
  const pipeline = new Pipeline(
    defineConfig({
      sources: {
        ws: {
          class: WebSocketSource,
          options: { host: '127.0.0.1', port, path: '/ingest', format: 'json', ack: 'message' },
        },
      },
      destinations: { file: { class: FileDestination, options: { path: file } } },
      logPaths: [{ sources: ['ws'], destinations: ['file'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  return { pipeline, port: await (pipeline.component('ws') as WebSocketSource).whenListening() };
}

let server = await startServer(0);
const url = `ws://127.0.0.1:${server.port}/ingest`;
console.log(`server 1 listening on ${url}, writing to ${file}`);
const client = new ResendingClient(url);

await waitUntil('the first connection', () => client.stats.connects === 1);
for (let i = 1; i <= 3; i++) client.log(`event ${i}`, { phase: 'before restart' });
await client.drained();
console.log(`before the restart: ${client.stats.acked} acknowledged`);

// A burst, and the server stops while it is in flight: frames it has not read or not yet
// acknowledged stay pending in the client.
for (let i = 4; i <= BURST; i++) client.log(`event ${i}`, { phase: 'burst' });
await server.pipeline.stop(); // acks of what was delivered are sent, then close 1001
console.log(`server stopped during a burst: ${client.pending} of ${BURST - 3} pending`);
for (let i = BURST + 1; i <= BURST + 3; i++) client.log(`event ${i}`, { phase: 'while down' });
console.log(`logged 3 more while the server is down: ${client.pending} pending`);

server = await startServer(server.port);
console.log('server 2 started on the same port');
await client.drained();
client.close();
await server.pipeline.stop();

const ids = readLines(file).map((l) => (JSON.parse(l) as { id: number }).id);
const distinct = new Set(ids);
console.log(
  `client: ${client.stats.connects} connections, ${client.stats.sent} frames sent, ` +
    `${client.stats.resent} resent, ${client.stats.acked} acknowledged`,
);
console.log(
  `file: ${ids.length} lines, ${distinct.size} distinct ids of ${BURST + 3}, ` +
    `${ids.length - distinct.size} duplicates (at-least-once)`,
);
if (distinct.size !== BURST + 3) throw new Error('a message is missing');
