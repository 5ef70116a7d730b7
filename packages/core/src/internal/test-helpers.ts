/**
 * Shared helpers of the runtime's unit tests: a source driven by the test, a
 * destination whose results a test scripts, log capture and polling. Excluded
 * from the build (tsconfig.build.json drops src/**\/test-*.ts).
 */
import { vi } from 'vitest';
import type { DestinationConfig, PipelineConfig } from '../config.js';
import { LogDestination, type SendResult } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
import type { InternalLogRecord, LogLevel } from '../logger.js';
import { Pipeline } from '../pipeline.js';
import type { ComponentStats } from '../stats.js';

/**
 * Fake timers that leave setImmediate real: the destination driver schedules
 * its drains with setImmediate, so drains run by themselves while timeouts
 * (timeReopen, batchTimeout, stopTimeout) move only when the test says so.
 */
export const FAKE_TIMERS = {
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
} as const satisfies Parameters<typeof vi.useFakeTimers>[0];

/**
 * Polls `check` until it stops throwing, and returns its result. Unlike
 * vi.waitFor it never moves fake clocks: under fake timers it polls on
 * setImmediate, so a test decides exactly how much time passes.
 */
export async function until<T>(check: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise<void>((r) => (vi.isFakeTimers() ? setImmediate(r) : setTimeout(r, 2)));
    }
  }
}

/**
 * Lets `rounds` turns of the event loop pass, so that anything already
 * scheduled (drains, resends) has run: used to prove that nothing happens.
 */
export async function turns(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Records the runtime's log lines. */
export class LogCapture {
  readonly records: InternalLogRecord[] = [];
  readonly sink = (r: InternalLogRecord): void => {
    this.records.push(r);
  };

  /** Records whose message matches `pattern`, optionally of one level. */
  find(pattern: string | RegExp, level?: LogLevel): InternalLogRecord[] {
    return this.records.filter(
      (r) =>
        (level === undefined || r.level === level) &&
        (typeof pattern === 'string' ? r.message.includes(pattern) : pattern.test(r.message)),
    );
  }
}

/** A source that posts only what the test posts through it; `run()` waits for exit. */
export class ManualSource extends LogSource {
  override async run(): Promise<void> {
    if (this.signal.aborted) return;
    await new Promise<void>((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  /** Posts one message per text; returns the last postMessage result. */
  post(...texts: string[]): boolean {
    let ok = true;
    for (const t of texts) ok = this.postMessage(new LogMessage(t));
    return ok;
  }
}

/** What a {@link ScriptedDestination} does; every hook is optional. */
export interface Script {
  /** Default: SUCCESS. `attempt` counts the send() calls for this message text, from 1. */
  send?: (
    msg: LogMessage,
    attempt: number,
    dest: ScriptedDestination,
  ) => SendResult | Promise<SendResult>;
  /** Default: SUCCESS. Any value is passed on, also invalid ones (that is what tests probe). */
  flush?: (dest: ScriptedDestination) => unknown;
  /** Default: true. */
  open?: (dest: ScriptedDestination) => boolean | void | Promise<boolean | void>;
  isOpened?: (dest: ScriptedDestination) => boolean;
}

/**
 * A destination whose results the test scripts through its options. It
 * records every call in `events` (`open`, `close`, `send m1`, `flush m1,m2`,
 * `deinit`) and the texts of the messages it considers delivered in
 * `delivered` (a SUCCESS or `true` from send, or a successful flush of the
 * QUEUED batch); any other result discards the batch, as the docs ask.
 */
export class ScriptedDestination extends LogDestination<Script> {
  readonly events: string[] = [];
  readonly delivered: string[] = [];
  /** Every message passed to send(), resends included. */
  readonly messages: LogMessage[] = [];
  batch: string[] = [];
  #script: Script = {};
  #attempts = new Map<string, number>();

  override init(options: Script): void {
    this.#script = options;
  }

  override open(): boolean | void | Promise<boolean | void> {
    this.events.push('open');
    return this.#script.open ? this.#script.open(this) : true;
  }

  override close(): void {
    this.events.push('close');
  }

  override isOpened(): boolean {
    return this.#script.isOpened ? this.#script.isOpened(this) : true;
  }

  override deinit(): void {
    this.events.push('deinit');
  }

  /** The send() calls, as message texts, in order. */
  get sends(): string[] {
    return this.events.filter((e) => e.startsWith('send ')).map((e) => e.slice(5));
  }

  override send(msg: LogMessage): SendResult | Promise<SendResult> {
    const text = msg.getAsString('MESSAGE') ?? '';
    const attempt = (this.#attempts.get(text) ?? 0) + 1;
    this.#attempts.set(text, attempt);
    this.events.push(`send ${text}`);
    this.messages.push(msg);
    const fail = (err: unknown): never => {
      this.batch = [];
      throw err;
    };
    let r: SendResult | Promise<SendResult> = this.SUCCESS;
    try {
      if (this.#script.send) r = this.#script.send(msg, attempt, this);
    } catch (err) {
      fail(err);
    }
    if (r instanceof Promise) return r.then((v) => this.#afterSend(text, v), fail);
    return this.#afterSend(text, r);
  }

  #afterSend(text: string, r: SendResult): SendResult {
    if (r === this.QUEUED) this.batch.push(text);
    else if (r === this.SUCCESS || r === true) {
      this.delivered.push(...this.batch, text);
      this.batch = [];
    } else this.batch = [];
    return r;
  }

  override flush(): SendResult | void | Promise<SendResult | void> {
    this.events.push(`flush ${this.batch.join(',')}`);
    const done = (v: unknown): SendResult | void => {
      if (v === undefined || v === this.SUCCESS || v === true) this.delivered.push(...this.batch);
      this.batch = [];
      return v as SendResult | void;
    };
    const fail = (err: unknown): never => {
      this.batch = [];
      throw err;
    };
    let r: unknown;
    try {
      r = this.#script.flush ? this.#script.flush(this) : this.SUCCESS;
    } catch (err) {
      fail(err);
    }
    return r instanceof Promise ? r.then(done, fail) : done(r);
  }
}

/** `m1`…`mN` (or with another prefix). */
export function texts(n: number, prefix = 'm'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

/** A config with the ManualSource `src` feeding the destination `out`. */
export function oneToOne(
  out: DestinationConfig,
  extra: Partial<PipelineConfig> = {},
): PipelineConfig {
  return {
    sources: { src: { class: ManualSource } },
    destinations: { out },
    logPaths: [{ sources: ['src'], destinations: ['out'] }],
    log: { stderr: false },
    stopTimeout: 1000,
    ...extra,
  };
}

/**
 * Stops `p` under fake timers: advances the clock until stop() has resolved
 * (it may wait for stopTimeout and for timeReopen suspensions).
 */
export async function stopAdvancing(p: Pipeline, stepMs = 100): Promise<void> {
  let done = false;
  const stopping = p.stop().then(() => {
    done = true;
  });
  for (let i = 0; !done; i++) {
    if (i > 10_000) throw new Error('stop() did not resolve');
    await vi.advanceTimersByTimeAsync(stepMs);
    await turns(2);
  }
  await stopping;
}

/** Starts a pipeline whose log lines are captured. */
export async function startPipeline(
  config: PipelineConfig,
): Promise<{ p: Pipeline; log: LogCapture }> {
  const log = new LogCapture();
  const p = new Pipeline(config, { logSink: log.sink });
  await p.start();
  return { p, log };
}

/** The counters of the component named `name`. */
export function statsOf(p: Pipeline, name: string): ComponentStats {
  const s = p.stats().find((c) => c.name === name);
  if (!s) throw new Error(`no component named ${name}`);
  return s;
}

/** The running instance named `name`, cast to the class the test knows it has. */
export function comp<T>(p: Pipeline, name: string, cls: abstract new () => T): T {
  const c = p.component(name);
  if (!(c instanceof cls)) throw new Error(`${name} is not a ${cls.name}`);
  return c;
}

/**
 * The JSON checks' fuzz mutation: `piece` inserted into `text` (even `at`) or
 * put in place of a character (odd `at`), at `at` modulo the length + 1.
 */
export function mutate(text: string, at: number, piece: string): string {
  const i = at % (text.length + 1);
  return at % 2 === 0
    ? text.slice(0, i) + piece + text.slice(i)
    : text.slice(0, i) + piece + text.slice(i + 1);
}
