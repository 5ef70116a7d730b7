import type { DiskBufferOptions } from './disk-buffer-options.js';
import type { DestinationDriverOptions, SourceDriverOptions } from './driver-options.js';
import type { DestinationClass } from './log-destination.js';
import type { LogMessage } from './log-message.js';
import type { SourceClass } from './log-source.js';
import type { LogLevel } from './logger.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- a config holds classes of any options type */

/** A source in a config: its class, the options its `init()` receives, and driver options. */
export interface SourceConfig<TOptions = any> extends SourceDriverOptions {
  class: SourceClass<TOptions>;
  /** Handed to the instance's `init()`. */
  options?: TOptions;
  /** Unique name for state and stats. Default: `generatePersistName(options)` or `source.<key>`. */
  persistName?: string;
}

/** A destination in a config: its class, its `init()` options, and driver options. */
export interface DestinationConfig<TOptions = any> extends DestinationDriverOptions {
  class: DestinationClass<TOptions>;
  /** Handed to the instance's `init()`. */
  options?: TOptions;
  /** Unique name for state and stats. Default: `generatePersistName(options)` or `destination.<key>`. */
  persistName?: string;
  /** Name of another destination that receives the messages this one drops. */
  fallback?: string;
  /** Keep the queue on disk instead of in memory; see {@link DiskBufferOptions} for what a crash can lose. */
  diskBuffer?: DiskBufferOptions;
}

/** A log path: messages of its sources go, filtered and rewritten, to all its destinations. */
export interface LogPathConfig {
  /** Names of sources in the config. */
  sources: string[];
  /** Names of destinations in the config; each message goes to all of them. */
  destinations: string[];
  /** Keeps only the messages for which it returns true. */
  filter?: (msg: LogMessage) => boolean;
  /** Changes messages on this path only (other paths see the original). */
  rewrite?: (msg: LogMessage) => void;
  /**
   * With flow control (the default) a full destination queue suspends the
   * sources instead of dropping; a source's window is freed only at delivery.
   * Without it, messages beyond `logFifoSize` are dropped and counted.
   */
  flowControl?: boolean;
}

/** A whole pipeline. Build it with {@link defineConfig} for type checking. */
export interface PipelineConfig {
  sources: Record<string, SourceConfig>;
  destinations: Record<string, DestinationConfig>;
  logPaths: LogPathConfig[];
  /** Directory for persist state and disk buffers. Default `./.logpath`. */
  stateDir?: string;
  /** How long `stop()` waits for sources to exit and queues to drain, in ms. Default 10000. */
  stopTimeout?: number;
  /** The runtime's own log: minimum level (default `info`) and whether it goes to stderr (default true). */
  log?: { level?: LogLevel; stderr?: boolean };
  /** Serves the counters in Prometheus text format, with `/health` beside them. Default: off. */
  metrics?: MetricsConfig;
}

/**
 * Where the Prometheus endpoint listens. `GET <path>` serves every counter of
 * `pipeline.stats()` plus process metrics; `GET /health` answers 200
 * `{"status":"ok"}` while the pipeline runs, and 503 with `{"status":"stopping"}`
 * (or the state) when it does not, or `{"status":"failing","failing":[…]}`
 * naming the destinations waiting to reopen or resend after a failure.
 */
export interface MetricsConfig {
  /** TCP port, 0–65535; 0 picks a free one (read it from `pipeline.metricsPort`). */
  port: number;
  /** Interface to listen on. Default `127.0.0.1` (local scrapers only). */
  host?: string;
  /** Path of the metrics page; must start with `/` and not be `/health`. Default `/metrics`. */
  path?: string;
}

/**
 * Returns the config unchanged; exists for type checking and editor help.
 * @example
 * export default defineConfig({
 *   sources: { web: { class: MySource, options: { port: 8080 } } },
 *   destinations: { out: { class: FileDestination, options: { path: 'out.ndjson' } } },
 *   logPaths: [{ sources: ['web'], destinations: ['out'] }],
 * });
 */
export function defineConfig<T extends PipelineConfig>(config: T): T {
  return config;
}
