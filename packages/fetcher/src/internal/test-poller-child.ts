/**
 * Test fixture (not built): runs HttpPoller → an append-only file in a child
 * process, so a test can `kill -9` it half-way and start it again.
 * Usage: node --import tsx --conditions=@logpath/source test-poller-child.ts <url> <stateDir> <outFile> [flushDelayMs]
 * A flush delay makes delivery slower than fetching, so messages are in flight when the test kills it.
 * Prints "started" once the pipeline runs; SIGTERM stops it cleanly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { LogDestination, Pipeline, defineConfig, type LogMessage } from '@logpath/core';
import { HttpPoller } from '../http-poller.js';

/** Appends MESSAGE lines; a batch counts as delivered once write(2) returned. */
class AppendDestination extends LogDestination<{ path: string; flushDelay: number }> {
  #fd = -1;
  #lines: string[] = [];
  #delay = 0;

  override init(options: { path: string; flushDelay: number }): void {
    this.#fd = openSync(options.path, 'a');
    this.#delay = options.flushDelay;
  }

  override send(msg: LogMessage): 4 {
    this.#lines.push(`${msg.getAsString('MESSAGE')}\n`);
    return this.QUEUED;
  }

  override async flush(): Promise<3> {
    if (this.#delay > 0) await delay(this.#delay);
    writeSync(this.#fd, this.#lines.join(''));
    this.#lines = [];
    return this.SUCCESS;
  }

  override deinit(): void {
    closeSync(this.#fd);
  }
}

const [url, stateDir, outFile, flushDelay] = process.argv.slice(2);
const pipeline = new Pipeline(
  defineConfig({
    sources: {
      poller: {
        class: HttpPoller,
        persistName: 'poller',
        options: {
          url: url!,
          items: 'data',
          interval: 20,
          timeReopen: 20,
          cursor: { param: 'after', path: 'next', saveInterval: 0 },
        },
      },
    },
    destinations: {
      out: {
        class: AppendDestination,
        options: { path: outFile!, flushDelay: Number(flushDelay ?? 0) },
        batchLines: 50,
      },
    },
    logPaths: [{ sources: ['poller'], destinations: ['out'] }],
    stateDir: stateDir!,
    log: { stderr: false },
  }),
);
await pipeline.start();
process.once('SIGTERM', () => {
  void pipeline.stop().then(() => process.exit(0));
});
process.stdout.write('started\n');
