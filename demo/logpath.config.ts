import { fileURLToPath } from 'node:url';
import { ConsoleDestination, defineConfig, FileDestination } from '@logpath/core';
import { DemoSource } from './demo-source.js';

// Paths relative to this file, so `npm start` works from any directory.
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * The demo pipeline of `npm start`: a generator of syslog lines, written as
 * NDJSON to demo/out/demo.ndjson and, as text, to the terminal. Edit this file
 * and send SIGHUP (`kill -HUP <pid>`) to reload it without stopping.
 */
export default defineConfig({
  sources: {
    demo: { class: DemoSource, options: { intervalMs: 200, host: 'web-01' } },
  },
  destinations: {
    file: { class: FileDestination, options: { path: here('./out/demo.ndjson') } },
    console: {
      class: ConsoleDestination,
      options: { template: '${ISODATE} ${HOST} ${PROGRAM}[${PID}] ${MESSAGE}' },
    },
  },
  logPaths: [{ sources: ['demo'], destinations: ['file', 'console'] }],
  stateDir: here('./out/state'),
});
