/**
 * The process that disk-buffer-crash.test.ts kills: a pipeline whose source
 * posts numbered messages (`produce`) or nothing (`drain`) into a destination
 * with a reliable disk buffer that appends each message to a file. Every
 * number acknowledged as delivered is printed as `ack <n>` on stdout.
 * Usage: node --import tsx test-disk-buffer-child.ts <produce|drain> <stateDir> <outFile>
 * Excluded from the build (tsconfig.build.json drops src/**\/test-*.ts).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { InstantAckTracker } from '../ack-tracker.js';
import { LogDestination, type SendResult } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
import { Pipeline } from '../pipeline.js';

const [mode, stateDir, outFile] = process.argv.slice(2) as [string, string, string];

class Numbers extends LogSource {
  #lines = '';

  override init(): void {
    this.ackTracker = new InstantAckTracker((n, status) => {
      if (status !== 'delivered') return;
      // One stdout write per turn; an ack is printed only after it happened, never before.
      if (this.#lines === '') setImmediate(this.#print);
      this.#lines += `ack ${String(n)}\n`;
    });
  }

  readonly #print = (): void => {
    const lines = this.#lines;
    this.#lines = '';
    process.stdout.write(lines);
  };

  override async run(): Promise<void> {
    for (let i = 1; mode === 'produce' && !this.signal.aborted; i++) {
      if (!this.postMessage(new LogMessage(`n=${i}`, i))) await this.waitForWindow();
    }
    await new Promise((resolve) => this.signal.addEventListener('abort', resolve, { once: true }));
  }
}

/** Appends each message to the file; while producing, it is down or slow much of the time. */
class FlakyFile extends LogDestination {
  #fd = -1;
  #sends = 0;

  override init(): void {
    this.#fd = openSync(outFile, 'a');
  }

  override deinit(): void {
    closeSync(this.#fd);
  }

  override send(msg: LogMessage): SendResult | Promise<SendResult> {
    const n = ++this.#sends;
    if (mode === 'produce' && n % 4 === 0) return this.NOT_CONNECTED;
    if (mode === 'produce' && n % 3 === 0) {
      return new Promise((resolve) => setImmediate(() => resolve(this.#write(msg))));
    }
    return this.#write(msg);
  }

  #write(msg: LogMessage): SendResult {
    writeSync(this.#fd, `${msg.getAsString('MESSAGE')}\n`);
    return this.SUCCESS;
  }
}

const pipeline = new Pipeline({
  sources: { numbers: { class: Numbers } },
  destinations: {
    file: {
      class: FlakyFile,
      persistName: 'crash-test-file',
      timeReopen: 20,
      diskBuffer: { maxBytes: 256 * 1024 * 1024, segmentBytes: 64 * 1024, memoryMessages: 2000 },
    },
  },
  logPaths: [{ sources: ['numbers'], destinations: ['file'] }],
  stateDir,
  log: { level: 'info' },
});
await pipeline.start();
// Signal listeners do not keep a process alive: without this, an idle drain run would just exit.
const alive = setInterval(() => {}, 60_000);
process.once('SIGTERM', () => {
  clearInterval(alive);
  void pipeline.stop().then(() => process.exit(0));
});
process.stdout.write('started\n');
