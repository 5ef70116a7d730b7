import type { AckStatus } from '../ack-tracker.js';
import { defineConfig } from '../config.js';
import type { DestinationDriverOptions, SourceDriverOptions } from '../driver-options.js';
import { LifecycleError, ErrorCode } from '../errors.js';
import type { DestinationClass, LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import type { LogSource, SourceClass } from '../log-source.js';
import type { InternalLogRecord } from '../logger.js';
import { Pipeline } from '../pipeline.js';
import type { ComponentStats } from '../stats.js';
import { ArraySource } from './array-source.js';
import { CaptureDestination } from './capture-destination.js';

/** Options of {@link startSource}. */
export interface StartSourceOptions<TOptions> extends SourceDriverOptions {
  /** Handed to the source's `init()`. */
  options?: TOptions;
  /** Whether the log path uses flow control. Default true. */
  flowControl?: boolean;
}

/** A source running in a real pipeline whose only destination captures what it posts. */
export interface SourceHarness<TOptions> {
  /** The running source instance (read its bound port, call its methods). */
  readonly source: LogSource<TOptions>;
  /** Every message delivered so far, in order. */
  readonly messages: LogMessage[];
  /** The runtime's log lines so far. */
  readonly logs: InternalLogRecord[];
  /** Resolves once `n` messages have arrived; rejects after `timeoutMs` (default 10000). */
  waitFor(n: number, timeoutMs?: number): Promise<LogMessage[]>;
  /** Counters of the source and the capture destination. */
  stats(): ComponentStats[];
  /** Stops the pipeline (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts `cls` in a real pipeline that captures everything it posts: the way
 * to test a custom source in a few lines.
 * @example
 * const h = await startSource(MySource, { options: { port: 0 } });
 * await sendSomething((h.source as MySource).port);
 * const [msg] = await h.waitFor(1);
 * await h.stop();
 */
export async function startSource<TOptions>(
  cls: SourceClass<TOptions>,
  opts: StartSourceOptions<TOptions> = {},
): Promise<SourceHarness<TOptions>> {
  const { options, flowControl, ...driver } = opts;
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { source: { class: cls, options: options ?? {}, ...driver } },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [
        { sources: ['source'], destinations: ['capture'], flowControl: flowControl ?? true },
      ],
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await pipeline.start();
  const capture = pipeline.component('capture') as CaptureDestination;
  return {
    source: pipeline.component('source') as LogSource<TOptions>,
    messages: capture.messages,
    logs,
    waitFor: (n, timeoutMs = 10_000) =>
      withTimeout(capture.waitFor(n), timeoutMs, `waiting for ${n} messages`).then(
        () => capture.messages,
      ),
    stats: () => pipeline.stats(),
    stop: () => pipeline.stop(),
  };
}

/** Options of {@link runDestination}. */
export interface RunDestinationOptions<TOptions> extends DestinationDriverOptions {
  /** Handed to the destination's `init()`. */
  options?: TOptions;
  /** What to send: strings become MESSAGE. */
  messages: readonly (LogMessage | string)[];
  /** How long to wait for every message to be acknowledged, in ms. Default 10000. */
  timeout?: number;
}

/** What {@link runDestination} observed. */
export interface DestinationRun<TOptions> {
  /** How each message ended, by index. */
  readonly acks: readonly AckStatus[];
  readonly stats: ComponentStats[];
  readonly logs: InternalLogRecord[];
  /** The destination instance, after stop. */
  readonly destination: LogDestination<TOptions>;
}

/**
 * Sends `messages` through `cls` in a real pipeline (with its real driver:
 * batching, retries, reopen) and reports how each one ended.
 * @throws LifecycleError (ERR_TIMEOUT) when not every message is acknowledged in time.
 */
export async function runDestination<TOptions>(
  cls: DestinationClass<TOptions>,
  opts: RunDestinationOptions<TOptions>,
): Promise<DestinationRun<TOptions>> {
  const { options, messages, timeout, ...driver } = opts;
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ArraySource, options: { messages } } },
      destinations: { destination: { class: cls, options: options ?? {}, ...driver } },
      logPaths: [{ sources: ['input'], destinations: ['destination'] }],
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await pipeline.start();
  const input = pipeline.component('input') as ArraySource;
  const destination = pipeline.component('destination') as LogDestination<TOptions>;
  try {
    await withTimeout(
      input.allAcked(),
      timeout ?? 10_000,
      'waiting for every message to be acknowledged',
    );
  } finally {
    await pipeline.stop();
  }
  return { acks: input.acks, stats: pipeline.stats(), logs, destination };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new LifecycleError(`timed out after ${ms} ms ${what}`, { code: ErrorCode.TIMEOUT })),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
