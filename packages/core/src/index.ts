export { LogMessage, type LogValue, type JsonValue, type JsonFill } from './log-message.js';
export { jsonFieldsFill } from './json-fill.js';
export { LogTemplate, compileTemplate } from './template.js';
export type { ParseOptions } from './internal/syslog-parser.js';
export { LogSource, type SourceClass } from './log-source.js';
export {
  LogDestination,
  DestinationResult,
  type DestinationResultCode,
  type SendResult,
  type DestinationClass,
} from './log-destination.js';
export {
  AckTracker,
  InstantAckTracker,
  ConsecutiveAckTracker,
  BatchedAckTracker,
  type AckStatus,
  type AckCallback,
  type BookmarkAck,
  type BatchedAckTrackerOptions,
} from './ack-tracker.js';
export {
  defineConfig,
  type PipelineConfig,
  type SourceConfig,
  type DestinationConfig,
  type LogPathConfig,
  type MetricsConfig,
} from './config.js';
export {
  DEFAULT_DESTINATION_DRIVER_OPTIONS,
  DEFAULT_SOURCE_DRIVER_OPTIONS,
  type DestinationDriverOptions,
  type SourceDriverOptions,
} from './driver-options.js';
export {
  checkInt,
  checkMs,
  checkString,
  checkBoolean,
  checkOneOf,
  checkKnownKeys,
  show as showValue,
  type Issues as OptionIssues,
} from './option-checks.js';
export { Pipeline, type PipelineState, type PipelineOptions } from './pipeline.js';
export type { ComponentStats, DropReason } from './stats.js';
export type { Logger, LogLevel, InternalLogRecord } from './logger.js';
export {
  LogpathError,
  ConfigError,
  LifecycleError,
  ParseError,
  ErrorCode,
  isLogpathError,
  type ErrorCodeValue,
} from './errors.js';
export { DEFAULT_DISK_BUFFER_OPTIONS, type DiskBufferOptions } from './disk-buffer-options.js';
export { Persist, type PersistOptions } from './persist.js';
export {
  InternalSource,
  DEFAULT_INTERNAL_SOURCE_OPTIONS,
  type InternalSourceOptions,
} from './internal-source.js';
export { NullDestination } from './destinations/null-destination.js';
export {
  FileDestination,
  DEFAULT_FILE_DESTINATION_OPTIONS,
  type FileDestinationOptions,
} from './destinations/file-destination.js';
export {
  ConsoleDestination,
  DEFAULT_CONSOLE_DESTINATION_OPTIONS,
  type ConsoleDestinationOptions,
  type ConsoleStream,
} from './destinations/console-destination.js';
export { loadConfig } from './cli/load-config.js';
