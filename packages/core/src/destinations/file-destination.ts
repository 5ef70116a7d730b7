import { resolve } from 'node:path';
import { ConfigError, ErrorCode } from '../errors.js';
import { LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import {
  appendAll,
  ensureDirectory,
  FileHandles,
  takeBack,
  type Appended,
} from '../internal/file-handles.js';
import { LineBuffer } from '../internal/line-buffer.js';
import { lineFormatter, type LineFormatter } from '../internal/line-format.js';
import { PathTemplate } from '../internal/path-template.js';
import {
  checkBoolean,
  checkInt,
  checkKnownKeys,
  checkString,
  show,
  type Issues,
} from '../option-checks.js';

/** Options of {@link FileDestination}. */
export interface FileDestinationOptions {
  /**
   * The file to append to. May hold macros (`/var/log/${HOST}/app.log`),
   * expanded per message; each expanded value is sanitized (`/`, `\`, NUL
   * become `_`; a macro's path segment that comes out empty, `.` or `..`
   * becomes `_` or `__`) and the resulting path must stay below the directory
   * written before the first `$`, or the message is dropped. Relative paths resolve against the working directory
   * at `init()`. Required.
   */
  path: string;
  /**
   * Template of one line, e.g. `${ISODATE} ${HOST} ${MESSAGE}`. Default: NDJSON,
   * `JSON.stringify(msg.toJSON())`. A newline is always appended, and CR/LF
   * inside a templated line are written as `\r` / `\n`: one message, one line.
   */
  template?: string;
  /** Create missing parent directories (mode derived from `mode`, e.g. 0o750). Default true. */
  mkdir?: boolean;
  /** fsync each file after every flush: durable, and much slower. Default false. */
  fsync?: boolean;
  /** Mode of files this destination creates (the umask still applies). Default 0o640. */
  mode?: number;
  /** With a path template: most files kept open at once (least recently used closed first). Default 64. */
  maxOpenFiles?: number;
}

/** Defaults of {@link FileDestinationOptions}; `template: undefined` means NDJSON. */
export const DEFAULT_FILE_DESTINATION_OPTIONS: Readonly<{
  template: string | undefined;
  mkdir: boolean;
  fsync: boolean;
  mode: number;
  maxOpenFiles: number;
}> = Object.freeze({
  template: undefined,
  mkdir: true,
  fsync: false,
  mode: 0o640,
  maxOpenFiles: 64,
});

const KNOWN_KEYS = ['path', ...Object.keys(DEFAULT_FILE_DESTINATION_OPTIONS)];
const ESCAPE_LOG_INTERVAL_MS = 1000;
/** Per-file buffers of a path template start small: a batch may spread over many files. */
const TEMPLATED_BUFFER_BYTES = 2048;

/** The lines bound for one file in the current batch. */
interface Pending {
  readonly path: string;
  readonly lines: LineBuffer;
}

/**
 * Appends each message as one line to a file (NDJSON by default), in
 * batches: `send()` only buffers the line and returns QUEUED; `flush()`
 * writes each file's lines with one append and returns SUCCESS.
 *
 * A failed write (disk full, directory gone) is logged with the path and
 * returns ERROR: what this flush had appended is cut off again so the resend
 * does not duplicate lines, the files are closed, and `isOpened()` turns false
 * so the runtime reopens before it resends the batch.
 *
 * A message whose templated path would leave the base directory, or holds
 * a name longer than a file system allows, is never written: it is logged
 * and returned as DROP when it is the first of its batch. Later in a batch,
 * DROP would also drop the messages queued before it (the runtime drops whole
 * batches), so there it is skipped instead and the runtime counts it as
 * delivered; `unsafePathDrops` counts both cases. (A name that is too long
 * would otherwise fail the flush of its whole batch, innocent lines included.)
 *
 * @example
 * destinations: { out: { class: FileDestination, options: { path: '/var/log/app/${PROGRAM}.ndjson' }, batchLines: 1000 } }
 */
export class FileDestination extends LogDestination<FileDestinationOptions> {
  /** Messages not written because their path left the base directory or had a name too long. */
  unsafePathDrops = 0;

  #o: Readonly<Required<Omit<FileDestinationOptions, 'template'>>> = {
    path: '',
    mkdir: DEFAULT_FILE_DESTINATION_OPTIONS.mkdir,
    fsync: DEFAULT_FILE_DESTINATION_OPTIONS.fsync,
    mode: DEFAULT_FILE_DESTINATION_OPTIONS.mode,
    maxOpenFiles: DEFAULT_FILE_DESTINATION_OPTIONS.maxOpenFiles,
  };
  #line: LineFormatter = lineFormatter(undefined);
  #handles = new FileHandles(0o640, true, 64);
  /** Set when the path has no macros: every line goes here. */
  #static: Pending | undefined;
  #template: PathTemplate | undefined;
  /** Pending lines per absolute path, and per expanded path so repeats skip resolving. */
  #byPath = new Map<string, Pending>();
  #byExpanded = new Map<string, Pending>();
  #queued = 0;
  #failed = false;
  #lastProblem = '';
  #escapesUnlogged = 0;
  #escapeLoggedAt = -Infinity;

  /**
   * Validates the options.
   * @throws ConfigError (ERR_INVALID_OPTION) naming each bad option, the expectation and the value.
   */
  override init(options: FileDestinationOptions): void {
    const issues: Issues = [];
    if (typeof options !== 'object' || options === null) {
      throw new ConfigError(
        `options must be an object with at least "path", got ${show(options)}`,
        {
          code: ErrorCode.INVALID_OPTION,
        },
      );
    }
    checkKnownKeys(issues, 'options', options, KNOWN_KEYS);
    const d = DEFAULT_FILE_DESTINATION_OPTIONS;
    const o = {
      path: '',
      mkdir: d.mkdir,
      fsync: d.fsync,
      mode: d.mode,
      maxOpenFiles: d.maxOpenFiles,
    };
    if (checkString(issues, 'options.path', options.path)) o.path = options.path;
    if (options.mkdir !== undefined && checkBoolean(issues, 'options.mkdir', options.mkdir))
      o.mkdir = options.mkdir;
    if (options.fsync !== undefined && checkBoolean(issues, 'options.fsync', options.fsync))
      o.fsync = options.fsync;
    if (options.mode !== undefined && checkInt(issues, 'options.mode', options.mode, 0, 0o7777))
      o.mode = options.mode;
    if (
      options.maxOpenFiles !== undefined &&
      checkInt(issues, 'options.maxOpenFiles', options.maxOpenFiles, 1)
    ) {
      o.maxOpenFiles = options.maxOpenFiles;
    }
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
    if (o.path.includes('$')) {
      try {
        this.#template = new PathTemplate(o.path);
      } catch (err) {
        issues.push(`options.path is not a valid path template: ${(err as Error).message}`);
      }
    } else if (o.path !== '') {
      this.#static = { path: resolve(o.path), lines: new LineBuffer() };
    }
    if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
    this.#o = o;
    this.#handles = new FileHandles(o.mode, o.mkdir, o.maxOpenFiles);
  }

  /**
   * Opens the file (creating its directories), or with a path template makes
   * sure the base directory exists. Returns false, with a log line, on failure.
   */
  override async open(): Promise<boolean> {
    const what = this.#static?.path ?? this.#template?.baseDir ?? '';
    try {
      if (this.#static !== undefined) await this.#handles.get(this.#static.path);
      else await ensureDirectory(what, this.#o.mode, this.#o.mkdir);
    } catch (err) {
      this.#problem(what, err, `cannot open ${what}: ${(err as Error).message}`);
      return false;
    }
    this.#failed = false;
    return true;
  }

  /** False after a failed write, so the runtime reopens before resending. */
  override isOpened(): boolean {
    return !this.#failed;
  }

  /** Buffers the message's line for its file; QUEUED (DROP for an unsafe path, see the class notes). */
  override send(msg: LogMessage): 0 | 4 {
    let pending = this.#static;
    if (pending === undefined) {
      const expanded = this.#template!.expand(msg);
      pending = this.#byExpanded.get(expanded) ?? this.#target(expanded);
      if (pending === undefined) return this.#unsafe(expanded);
    }
    pending.lines.push(this.#line(msg));
    this.#queued++;
    return this.QUEUED;
  }

  /** Appends each file's buffered lines with one write; SUCCESS, or ERROR after a failed write. */
  override async flush(): Promise<1 | 3> {
    if (this.#queued === 0) return this.SUCCESS;
    const count = this.#queued;
    const work = this.#takeBatch();
    const appended: Appended[] = [];
    let path = '';
    try {
      for (const w of work) {
        path = w.path;
        const fh = await this.#handles.get(path);
        const progress: Appended = { path, bytes: 0 };
        appended.push(progress);
        await appendAll(fh, w.data, progress);
        if (this.#o.fsync) await fh.sync();
      }
    } catch (err) {
      this.#problem(
        path,
        err,
        `writing ${count} message${count === 1 ? '' : 's'} to ${path} failed: ${(err as Error).message}; resending after timeReopen`,
      );
      this.#failed = true;
      await this.#takeBack(appended);
      await this.#handles.closeAll();
      return this.ERROR;
    }
    this.#lastProblem = '';
    return this.SUCCESS;
  }

  /** Discards unflushed lines (the runtime resends those messages) and closes every file. */
  override async close(): Promise<void> {
    this.#takeBatch();
    await this.#handles.closeAll();
  }

  /** Closes every file still open; harmless after close(). */
  override async deinit(): Promise<void> {
    await this.#handles.closeAll();
  }

  /** The pending lines of an expanded path, or undefined when it leaves the base directory. */
  #target(expanded: string): Pending | undefined {
    const path = this.#template!.confine(expanded);
    if (path === undefined) return undefined;
    let pending = this.#byPath.get(path);
    if (pending === undefined) {
      pending = { path, lines: new LineBuffer(TEMPLATED_BUFFER_BYTES) };
      this.#byPath.set(path, pending);
    }
    this.#byExpanded.set(expanded, pending);
    return pending;
  }

  #unsafe(expanded: string): 0 | 4 {
    this.unsafePathDrops++;
    const now = Date.now();
    // At most one line a second, so a flood of hostile values cannot flood the log.
    if (now - this.#escapeLoggedAt >= ESCAPE_LOG_INTERVAL_MS) {
      const more =
        this.#escapesUnlogged > 0
          ? ` (and ${this.#escapesUnlogged} more since the last report)`
          : '';
      this.logger.error(
        `dropped a message: its file path ${JSON.stringify(expanded)} from template ` +
          `${JSON.stringify(this.#template!.source)} is not inside ${this.#template!.baseDir} ` +
          `or has a name longer than a file system allows${more}`,
      );
      this.#escapeLoggedAt = now;
      this.#escapesUnlogged = 0;
    } else {
      this.#escapesUnlogged++;
    }
    if (this.#queued === 0) return this.DROP;
    this.#queued++; // keeps the batch flushable; the message itself writes nothing
    return this.QUEUED;
  }

  /**
   * Removes the pending batch: the bytes for each file. The static file's
   * buffer is reused, so its bytes are only valid until the next `send()`,
   * which the runtime never calls while a flush is in flight.
   */
  #takeBatch(): { path: string; data: Buffer }[] {
    const out: { path: string; data: Buffer }[] = [];
    const s = this.#static;
    if (s !== undefined) {
      if (s.lines.byteLength > 0) out.push({ path: s.path, data: s.lines.take(true) });
    } else {
      for (const p of this.#byPath.values()) {
        if (p.lines.byteLength > 0) out.push({ path: p.path, data: p.lines.take(false) });
      }
      this.#byPath.clear();
      this.#byExpanded.clear();
    }
    this.#queued = 0;
    return out;
  }

  async #takeBack(appended: Appended[]): Promise<void> {
    for (const a of appended) {
      if (a.bytes === 0) continue;
      let why = 'the file is shorter than that now';
      try {
        if (await takeBack(a)) {
          this.logger.warn(
            `removed the ${a.bytes} bytes this failed flush had appended to ${a.path}`,
          );
          continue;
        }
      } catch (err) {
        why = (err as Error).message;
      }
      this.logger.warn(
        `${a.bytes} bytes of the failed flush stay in ${a.path} (${why}); the resend may duplicate lines`,
      );
    }
  }

  /** Logs a failure at error the first time, and at debug while it repeats unchanged. */
  #problem(path: string, err: unknown, message: string): void {
    const key = `${path}\0${String((err as NodeJS.ErrnoException).code)}`;
    if (key === this.#lastProblem) {
      this.logger.debug(message);
      return;
    }
    this.#lastProblem = key;
    this.logger.error(message);
  }
}
