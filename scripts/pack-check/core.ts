// Runs against the installed @logpath/core tarball: a source, the runtime, a file destination.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDestination, LogMessage, LogSource, Pipeline, defineConfig } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';

class Three extends LogSource {
  override async run(): Promise<void> {
    for (const text of ['a', 'b', 'c']) this.postMessage(new LogMessage(text));
  }
}
const dir = mkdtempSync(join(tmpdir(), 'pack-check-'));
const pipeline = new Pipeline(
  defineConfig({
    sources: { three: { class: Three } },
    destinations: {
      file: {
        class: FileDestination,
        options: { path: join(dir, 'out.log'), template: '${MESSAGE}' },
      },
      capture: { class: CaptureDestination },
    },
    logPaths: [{ sources: ['three'], destinations: ['file', 'capture'] }],
    log: { stderr: false },
  }),
);
await pipeline.start();
await (pipeline.component('capture') as CaptureDestination).waitFor(3);
await pipeline.stop();
const lines = readFileSync(join(dir, 'out.log'), 'utf8');
if (lines !== 'a\nb\nc\n') throw new Error(`unexpected file content ${JSON.stringify(lines)}`);
console.log('core: ok');
