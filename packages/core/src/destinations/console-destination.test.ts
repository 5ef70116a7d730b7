import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineConfig } from '../config.js';
import type { DestinationDriverOptions } from '../driver-options.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { DestinationResult } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
import type { InternalLogRecord, Logger } from '../logger.js';
import { Pipeline } from '../pipeline.js';
import type { ComponentStats } from '../stats.js';
import {
  ConsoleDestination,
  DEFAULT_CONSOLE_DESTINATION_OPTIONS,
  type ConsoleDestinationOptions,
} from './console-destination.js';

const STAMP = Date.UTC(2026, 10, 25, 15, 0, 0, 123);
const WAIT = { timeout: 10_000, interval: 5 };

function message(text: string, host = 'web1', program = 'app'): LogMessage {
  return new LogMessage(text).setTimestamp(STAMP, -300).set('HOST', host).set('PROGRAM', program);
}

class ListSource extends LogSource<{ messages: LogMessage[] }> {
  #messages: LogMessage[] = [];
  override init(o: { messages: LogMessage[] }): void {
    this.#messages = o.messages;
  }
  override async run(): Promise<void> {
    for (const m of this.#messages) if (!this.postMessage(m)) await this.waitForWindow();
  }
}

/** A stream that records each write() call; with `hold`, it acknowledges nothing until release(). */
class Recorder extends Writable {
  readonly chunks: string[] = [];
  #held: (() => void)[] = [];
  hold = false;
  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark, decodeStrings: true });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString('utf8'));
    if (this.hold) this.#held.push(() => cb());
    else cb();
  }
  release(): void {
    this.hold = false;
    for (const cb of this.#held.splice(0)) cb();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

async function runConsole(
  options: ConsoleDestinationOptions,
  messages: LogMessage[],
  driver: DestinationDriverOptions = {},
): Promise<{ stats: ComponentStats; logs: InternalLogRecord[] }> {
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ListSource, options: { messages } } },
      destinations: { out: { class: ConsoleDestination, options, ...driver } },
      logPaths: [{ sources: ['input'], destinations: ['out'] }],
      log: { stderr: false },
    }),
    { logSink: (r) => logs.push(r) },
  );
  const out = (): ComponentStats => pipeline.stats().find((s) => s.name === 'out')!;
  await pipeline.start();
  await vi.waitFor(() => expect(out().delivered).toBe(messages.length), WAIT);
  await pipeline.stop();
  return { stats: out(), logs };
}

function silentLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (m: string): void => void lines.push(m);
  return { lines, error: add, warn: add, info: add, debug: add };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ConsoleDestination', () => {
  it('writes the default template, one line per message', async () => {
    const stream = new Recorder();
    const msgs = [message('hello'), message('world', 'web2', 'cron')];
    await runConsole({ stream }, msgs);
    expect(stream.text).toBe(
      '2026-11-25T10:00:00.123-05:00 web1 app: hello\n2026-11-25T10:00:00.123-05:00 web2 cron: world\n',
    );
    expect(DEFAULT_CONSOLE_DESTINATION_OPTIONS.template).toBe(
      '${ISODATE} ${HOST} ${PROGRAM}: ${MESSAGE}',
    );
    expect(Object.isFrozen(DEFAULT_CONSOLE_DESTINATION_OPTIONS)).toBe(true);
  });

  it('uses a custom template and escapes CR and LF', async () => {
    const stream = new Recorder();
    await runConsole({ stream, template: '[$PROGRAM] $MESSAGE' }, [message('a\nfake line\r\nb')]);
    expect(stream.text).toBe('[app] a\\nfake line\\r\\nb\n');
  });

  it('writes a batch with one write() call', async () => {
    const stream = new Recorder();
    const msgs = Array.from({ length: 250 }, (_, i) => message(`m${i}`));
    await runConsole({ stream, template: '$MESSAGE' }, msgs, { batchLines: 100 });
    expect(stream.text).toBe(msgs.map((m) => `${m.getAsString('MESSAGE')}\n`).join(''));
    expect(stream.chunks.length).toBeGreaterThanOrEqual(3);
    expect(stream.chunks.length).toBeLessThanOrEqual(10);
  });

  it('writes to process.stdout by default and to process.stderr on request', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runConsole({ template: 'to stdout: $MESSAGE' }, [message('x')]);
    await runConsole({ stream: 'stderr', template: 'to stderr: $MESSAGE' }, [message('y')]);
    const written = (spy: typeof out): string =>
      spy.mock.calls.map((c) => Buffer.from(c[0] as Uint8Array).toString()).join('');
    expect(written(out)).toContain('to stdout: x\n');
    expect(written(out)).not.toContain('to stderr');
    expect(written(err)).toContain('to stderr: y\n');
  });

  it('waits for drain when the stream asks it to', async () => {
    const stream = new Recorder(8);
    stream.hold = true;
    const d = new ConsoleDestination();
    d.logger = silentLogger();
    d.init({ stream, template: '$MESSAGE' });
    expect(d.open()).toBe(true);
    expect(d.send(message('a long enough line'))).toBe(DestinationResult.QUEUED);
    let settled = false;
    const flushed = d.flush().then((r) => {
      settled = true;
      return r;
    });
    await vi.waitFor(() => expect(stream.chunks).toHaveLength(1), WAIT);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    stream.release();
    expect(await flushed).toBe(DestinationResult.SUCCESS);
    d.deinit();
  });

  it('turns stream errors into ERROR instead of a crash, and reopens', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' }));
      },
    });
    const d = new ConsoleDestination();
    const log = silentLogger();
    d.logger = log;
    d.init({ stream: broken });
    expect(d.open()).toBe(true);
    d.send(message('x'));
    await d.flush(); // the error is reported asynchronously, through the 'error' event
    await vi.waitFor(() => expect(d.isOpened()).toBe(false), WAIT);
    d.send(message('y'));
    expect(await d.flush()).toBe(DestinationResult.ERROR);
    expect(log.lines.some((l) => /EPIPE: broken pipe/.test(l))).toBe(true);
    // The stream is destroyed after its error: reopening fails until it is replaced.
    expect(d.open()).toBe(false);
    d.deinit();
    expect(broken.listenerCount('error')).toBe(0);
  });

  it('rejects bad options with a ConfigError naming each one', () => {
    const attempt = (o: unknown): ConfigError => {
      try {
        new ConsoleDestination().init(o as ConsoleDestinationOptions);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('init() accepted the options');
    };
    const err = attempt({ stream: 'stdnull', template: '${', colour: true });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe(ErrorCode.INVALID_OPTION);
    expect(err.issues).toEqual([
      'options: unknown option "colour" (known: stream, template)',
      'options.stream must be "stdout", "stderr" or a writable stream, got "stdnull"',
      expect.stringMatching(/^options.template is not a valid template: Unterminated/),
    ]);
    expect(attempt(null).message).toBe('options must be an object, got null');
    expect(() => new ConsoleDestination().init({})).not.toThrow();
  });
});
