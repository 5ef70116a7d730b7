/**
 * A custom server-style source: SyslogTcpSource (syslog-tcp-source.ts), a TCP
 * syslog server on node:net, into a FileDestination. The example sends, on one
 * connection, an RFC 5424 message with structured data and a two-line message
 * (octet counting), an RFC 3164 message (newline framing), then a burst of
 * BURST messages that overruns the small window (`logIwSize: 100`): the socket
 * is paused and resumed, and every message reaches the file.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { FileDestination, Pipeline, defineConfig } from '@logpath/core';
import { outDir, readLines, waitUntil } from '../support.js';
import { SyslogTcpSource } from './syslog-tcp-source.js';

const out = outDir('tcp-syslog');
const file = join(out, 'syslog.ndjson');
const BURST = 20_000;

const pipeline = new Pipeline(
  defineConfig({
    sources: {
      syslog: {
        class: SyslogTcpSource,
        options: { port: Number(process.env.PORT ?? 0) },
        logIwSize: 100,
      },
    },
    destinations: { file: { class: FileDestination, options: { path: file }, batchLines: 500 } },
    logPaths: [{ sources: ['syslog'], destinations: ['file'] }],
    log: { stderr: false },
  }),
);
await pipeline.start();
const source = pipeline.component('syslog') as SyslogTcpSource;
const port = await source.whenListening();
console.log(`syslog over TCP on 127.0.0.1:${port}, writing to ${file}`);

/** RFC 6587 octet counting: the byte length, a space, the message. */
const octetCounted = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;
const rfc5424 =
  '<165>1 2026-11-25T10:00:00.000+01:00 web-1 shop 4711 ORDER [order@32473 id="17" total="9.90"] order placed';
const twoLines =
  '<14>1 2026-11-25T10:00:01Z web-1 shop 4711 TRACE - Error: boom\n    at checkout (shop.js:12)';
const rfc3164 = '<34>Nov 25 10:00:02 db-1 postgres[88]: connection received';
let burst = '';
for (let i = 1; i <= BURST; i++) {
  // Mixed framing on one connection, as RFC 6587 allows.
  const m = `<13>1 2026-11-25T10:00:03Z gen-1 load - - - message ${i}`;
  burst += i % 2 === 0 ? octetCounted(m) : `${m}\n`;
}

const socket = connect(port, '127.0.0.1');
await new Promise((resolve) => socket.once('connect', resolve));
socket.write(octetCounted(rfc5424) + octetCounted(twoLines) + `${rfc3164}\n`);
socket.end(burst);
await waitUntil(`${BURST + 3} lines in the file`, () => readLines(file).length >= BURST + 3);
const pauses = source.pauses;
await pipeline.stop();

const lines = readLines(file).map((l) => JSON.parse(l) as Record<string, unknown>);
for (const fields of lines.slice(0, 3)) console.log(JSON.stringify(fields));
console.log(
  `${lines.length} messages in the file; the socket was paused ${pauses} times by flow control`,
);
