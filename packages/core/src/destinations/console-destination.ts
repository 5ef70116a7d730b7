import { ConfigError, ErrorCode } from '../errors.js';
import { LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import { LineBuffer } from '../internal/line-buffer.js';
import { lineFormatter, type LineFormatter } from '../internal/line-format.js';
import { checkKnownKeys, checkString, show, type Issues } from '../option-checks.js';

/** Where {@link ConsoleDestination} writes: process.stdout, process.stderr, or any writable stream. */
export type ConsoleStream = 'stdout' | 'stderr' | NodeJS.WritableStream;

/** Options of {@link ConsoleDestination}. */
export interface ConsoleDestinationOptions {
  /** `'stdout'`, `'stderr'`, or a writable stream (tests, embedding). Default `'stdout'`. */
  stream?: ConsoleStream;
  /**
   * Template of one line. Default `${ISODATE} ${HOST} ${PROGRAM}: ${MESSAGE}`.
   * A newline is appended, and CR/LF inside the line are written as `\r` / `\n`.
   */
  template?: string;
}

/** Defaults of {@link ConsoleDestinationOptions}. */
export const DEFAULT_CONSOLE_DESTINATION_OPTIONS: Readonly<Required<ConsoleDestinationOptions>> =
  Object.freeze({
    stream: 'stdout',
    template: '${ISODATE} ${HOST} ${PROGRAM}: ${MESSAGE}',
  });

const KNOWN_KEYS = Object.keys(DEFAULT_CONSOLE_DESTINATION_OPTIONS);

/** The parts of a Writable that tell whether it can still take data (absent on plain WritableStreams). */
interface WritableState {
  destroyed?: boolean;
  writableEnded?: boolean;
}

function isWritable(v: unknown): v is NodeJS.WritableStream {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { write?: unknown }).write === 'function' &&
    typeof (v as { once?: unknown }).once === 'function'
  );
}

/**
 * Writes each message as one line to stdout, stderr or a given stream, in
 * batches: `send()` buffers and returns QUEUED, `flush()` writes the batch
 * with one `write()`. When the stream asks to wait (`write()` returns
 * false), `flush()` resolves only at 'drain', so a slow terminal or pipe
 * slows the pipeline down instead of filling memory.
 *
 * While open it listens for the stream's 'error' events, so a closed pipe
 * (EPIPE) turns into ERROR results instead of crashing the process. The
 * stream is never ended or closed: it belongs to the process or the caller.
 *
 * @example
 * destinations: { console: { class: ConsoleDestination, options: { stream: 'stderr', template: '${LEVEL} ${MESSAGE}' } } }
 */
export class ConsoleDestination extends LogDestination<ConsoleDestinationOptions> {
  #stream: NodeJS.WritableStream = process.stdout;
  #line: LineFormatter = lineFormatter(DEFAULT_CONSOLE_DESTINATION_OPTIONS.template);
  #lines = new LineBuffer(16 * 1024);
  #error: Error | undefined;
  #listening = false;

  readonly #onError = (err: Error): void => {
    if (this.#error === undefined) this.logger.error(`the output stream failed: ${err.message}`);
    this.#error ??= err;
  };

  /**
   * Validates the options.
   * @throws ConfigError (ERR_INVALID_OPTION) naming each bad option, the expectation and the value.
   */
  override init(options: ConsoleDestinationOptions = {}): void {
    const issues: Issues = [];
    if (typeof options !== 'object' || options === null) {
      throw new ConfigError(`options must be an object, got ${show(options)}`, {
        code: ErrorCode.INVALID_OPTION,
      });
    }
    checkKnownKeys(issues, 'options', options, KNOWN_KEYS);
    const stream = options.stream ?? DEFAULT_CONSOLE_DESTINATION_OPTIONS.stream;
    if (stream === 'stdout') this.#stream = process.stdout;
    else if (stream === 'stderr') this.#stream = process.stderr;
    else if (isWritable(stream)) this.#stream = stream;
    else
      issues.push(
        `options.stream must be "stdout", "stderr" or a writable stream, got ${show(stream)}`,
      );
    if (
      options.template !== undefined &&
      checkString(issues, 'options.template', options.template)
    ) {
      try {
        this.#line = lineFormatter(options.template);
      } catch (err) {
        issues.push(`options.template is not a valid template: ${(err as Error).message}`);
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
  }

  /** Starts listening for stream errors; false when the stream is already closed. */
  override open(): boolean {
    if (this.#closed()) {
      this.logger.error('the output stream is closed');
      return false;
    }
    if (!this.#listening) {
      this.#stream.on('error', this.#onError);
      this.#listening = true;
    }
    this.#error = undefined;
    return true;
  }

  /** False after a stream error, so the runtime reopens before resending. */
  override isOpened(): boolean {
    return this.#error === undefined;
  }

  /** Buffers the message's line; always QUEUED. */
  override send(msg: LogMessage): 4 {
    this.#lines.push(this.#line(msg));
    return this.QUEUED;
  }

  /** Writes the batch with one `write()`, waiting for 'drain' when the stream asks to. */
  override async flush(): Promise<1 | 3> {
    if (this.#lines.lineCount === 0) return this.SUCCESS;
    const data = this.#lines.take(false); // the stream may keep the bytes after write() returns
    if (this.#error !== undefined || this.#closed()) return this.#failed();
    let ok: boolean;
    try {
      ok = this.#stream.write(data);
    } catch (err) {
      this.#onError(err as Error);
      return this.#failed();
    }
    if (!ok && (await this.#drained()) === 'close') {
      this.#error ??= new Error('the stream closed before its data was written');
    }
    return this.#error === undefined ? this.SUCCESS : this.#failed();
  }

  /** Discards unflushed lines; the runtime resends those messages. The stream stays open. */
  override close(): void {
    this.#lines.clear();
  }

  /** Stops listening for stream errors. */
  override deinit(): void {
    if (this.#listening) this.#stream.removeListener('error', this.#onError);
    this.#listening = false;
  }

  #closed(): boolean {
    const s = this.#stream as WritableState;
    return s.destroyed === true || s.writableEnded === true;
  }

  #failed(): 1 {
    this.#error ??= new Error('the output stream is closed');
    this.logger.error(
      `writing to the output stream failed: ${this.#error.message}; resending after timeReopen`,
    );
    return this.ERROR;
  }

  /** Resolves with the first of 'drain', 'error' or 'close'. */
  #drained(): Promise<'drain' | 'error' | 'close'> {
    const s = this.#stream;
    return new Promise((resolve) => {
      const on = {
        drain: (): void => done('drain'),
        error: (): void => done('error'),
        close: (): void => done('close'),
      };
      const done = (event: 'drain' | 'error' | 'close'): void => {
        s.removeListener('drain', on.drain);
        s.removeListener('error', on.error);
        s.removeListener('close', on.close);
        resolve(event);
      };
      s.once('drain', on.drain);
      s.once('error', on.error);
      s.once('close', on.close);
    });
  }
}
