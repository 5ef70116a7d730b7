// Runs against the installed @logpath/adapter-ws tarball: one pipeline's WebSocketDestination
// (with acks) feeds another pipeline's WebSocketSource.
import { Pipeline, defineConfig } from '@logpath/core';
import { ArraySource, CaptureDestination } from '@logpath/core/testing';
import { WebSocketDestination, WebSocketSource } from '@logpath/adapter-ws';

const receiver = new Pipeline(
  defineConfig({
    sources: {
      ws: {
        class: WebSocketSource,
        options: { host: '127.0.0.1', port: 0, format: 'ndjson', ack: 'batch' },
      },
    },
    destinations: { capture: { class: CaptureDestination } },
    logPaths: [{ sources: ['ws'], destinations: ['capture'] }],
    log: { stderr: false },
  }),
);
await receiver.start();
const port = await (receiver.component('ws') as WebSocketSource).whenListening();

const sender = new Pipeline(
  defineConfig({
    sources: { list: { class: ArraySource, options: { messages: ['x', 'y', 'z'] } } },
    destinations: {
      ws: {
        class: WebSocketDestination,
        options: { url: `ws://127.0.0.1:${port}/`, frame: 'batch', ack: true },
      },
    },
    logPaths: [{ sources: ['list'], destinations: ['ws'] }],
    log: { stderr: false },
  }),
);
await sender.start();
const capture = receiver.component('capture') as CaptureDestination;
await capture.waitFor(3);
await sender.stop();
await receiver.stop();
const got = capture.messages.map((m) => m.getAsString('MESSAGE'));
if (got.join() !== 'x,y,z') throw new Error(`unexpected messages ${JSON.stringify(got)}`);
console.log('adapter-ws: ok');
