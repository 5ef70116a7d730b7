import type { Server } from 'node:http';
import { join } from 'node:path';
import { ConsoleDestination, defineConfig, FileDestination, type LogMessage } from '@logpath/core';
import { WebSocketSource } from '@logpath/adapter-ws';
import { HttpPoller } from '@logpath/fetcher';
import { sharedDemoApi } from './demo-api.js';
import { hostPort, showDemoBannerOnce } from './demo-banner.js';
import { DemoHttpSource, demoHttpServer } from './demo-http-source.js';
import { processDemoSettings } from './demo-settings.js';

const HTTP_PATH = '/ingest';
const WS_PATH = '/ws';

/**
 * The demo pipeline of `npm start`:
 * - `http`: an HttpSource on port 8080 taking JSON, NDJSON or text at `/ingest`;
 * - `ws`: a WebSocketSource on the same port at `/ws` (JSON frames, acked per message id);
 * - `poller`: an HttpPoller reading a small events API on port 8081 that the
 *   demo starts itself, resuming from its saved cursor after a restart;
 * - every message goes to demo/out/demo.ndjson and, one line each, to the terminal;
 * - metrics on http://127.0.0.1:9464/metrics.
 *
 * The LOGPATH_DEMO_* variables (see demo-settings.ts) change the ports, the host
 * and the output folder. Edit this file and send SIGHUP (`kill -HUP <pid>`) to
 * reload it without stopping.
 */
export default async function demoConfig() {
  // Both are per process: this file is evaluated anew at every reload, the modules it imports are not.
  const s = await processDemoSettings();
  const events = await sharedDemoApi({ host: s.host, port: s.apiPort });
  const outFile = join(s.outDir, 'demo.ndjson');
  const metricsUrl = `http://${hostPort(s.host, s.metricsPort)}/metrics`;
  return defineConfig({
    sources: {
      http: {
        class: DemoHttpSource,
        options: {
          host: s.host,
          port: s.port,
          path: HTTP_PATH,
          // After the WebSocket source, waiting for this server, has attached to it.
          onListening: (_server: Server, port: number) =>
            setImmediate(() =>
              showDemoBannerOnce({
                host: s.host,
                port,
                httpPath: HTTP_PATH,
                wsPath: WS_PATH,
                apiUrl: events.url,
                metricsUrl,
                outFile,
              }),
            ),
        },
      },
      ws: {
        class: WebSocketSource,
        options: { server: demoHttpServer, path: WS_PATH, format: 'json', ack: 'message' },
      },
      poller: {
        class: HttpPoller,
        options: {
          url: events.url,
          items: 'data',
          interval: 1000,
          cursor: { param: 'after', path: 'next' },
        },
      },
    },
    destinations: {
      file: { class: FileDestination, options: { path: outFile } },
      console: {
        class: ConsoleDestination,
        options: { template: '${ISODATE} ${TRANSPORT} ${MESSAGE}' },
      },
    },
    logPaths: [
      { sources: ['http', 'ws'], destinations: ['file', 'console'] },
      {
        sources: ['poller'],
        destinations: ['file', 'console'],
        // HttpPoller sets no TRANSPORT: name it, so that every line says where it came from.
        rewrite: (msg: LogMessage) => void msg.set('TRANSPORT', 'poll'),
      },
    ],
    metrics: { port: s.metricsPort, host: s.host },
    stateDir: join(s.outDir, 'state'),
  });
}
