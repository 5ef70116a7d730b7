import { describeError } from './errors.js';
/** Severity of an internal log line. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({
  error: 0,
  warn: 1,
  info: 2,
  debug: 3,
});

/** One line of the runtime's own log. */
export interface InternalLogRecord {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly level: LogLevel;
  /** Persist name of the component that logged it, or `pipeline`. */
  readonly component: string;
  readonly message: string;
  /** The error's stack, when the line reports one. */
  readonly stack?: string;
}

/**
 * The logger a plugin gets as `this.logger`. Lines carry the component's
 * persist name and reach stderr and the pipeline's InternalSource.
 */
export interface Logger {
  error(message: string, err?: unknown): void;
  warn(message: string, err?: unknown): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Receives every internal log record at or above the configured level. @internal */
export type LogSink = (record: InternalLogRecord) => void;

/**
 * Fans internal log records out to sinks (stderr, the InternalSource, tests).
 * @internal
 */
export class LogHub {
  #sinks = new Set<LogSink>();
  #rank: number;

  constructor(level: LogLevel = 'info') {
    this.#rank = LEVEL_RANK[level];
  }

  set level(level: LogLevel) {
    this.#rank = LEVEL_RANK[level];
  }

  addSink(sink: LogSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] <= this.#rank;
  }

  emit(level: LogLevel, component: string, message: string, err?: unknown): void {
    if (!this.enabled(level)) return;
    let stack: string | undefined;
    if (err !== undefined) {
      stack =
        err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : describeError(err);
    }
    const record: InternalLogRecord = { time: Date.now(), level, component, message, stack };
    for (const sink of this.#sinks) {
      try {
        sink(record);
      } catch {
        // A broken sink must not take the runtime down with it.
      }
    }
  }

  logger(component: string): Logger {
    return {
      error: (m, e) => this.emit('error', component, m, e),
      warn: (m, e) => this.emit('warn', component, m, e),
      info: (m) => this.emit('info', component, m),
      debug: (m) => this.emit('debug', component, m),
    };
  }
}

/** Formats a record as the single stderr line logpath writes. @internal */
export function formatLogLine(r: InternalLogRecord): string {
  const head = `${new Date(r.time).toISOString()} ${r.level.toUpperCase()} [${r.component}] ${r.message}`;
  return r.stack ? `${head} | ${r.stack.replace(/\n\s*/g, ' | ')}` : head;
}

/** A sink writing one line per record to stderr. @internal */
export const stderrSink: LogSink = (r) => {
  process.stderr.write(formatLogLine(r) + '\n');
};
