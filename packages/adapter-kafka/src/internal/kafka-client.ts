import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@logpath/core';
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';

/** How much of kafkajs' own logging reaches the component's logger. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LEVELS: Readonly<Record<KafkaLogLevel, logLevel>> = Object.freeze({
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
});

/** The connection settings shared by the source and the destination. */
export interface ClientSettings {
  brokers: string[];
  clientId: string;
  ssl: boolean | ConnectionOptions | undefined;
  sasl: SASLOptions | undefined;
  connectionTimeout: number;
  requestTimeout: number;
  kafkaLogLevel: KafkaLogLevel;
}

/** Keys of a kafkajs log entry that are already in the line or say nothing new. */
const SKIP = new Set(['timestamp', 'message', 'logger', 'stack']);

function formatEntry({ namespace, log }: LogEntry): string {
  let extra = '';
  for (const key of Object.keys(log)) {
    if (SKIP.has(key)) continue;
    const v: unknown = log[key];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    extra += ` ${key}=${String(v)}`;
  }
  return `kafkajs ${namespace}: ${log.message}${extra}`;
}

/**
 * Routes kafkajs' log lines to a logpath logger. kafkajs logs errors it then
 * retries (a broker that went away), so its ERROR lines arrive as warnings;
 * its INFO lines (pause, resume, join) are debug chatter here.
 */
export function kafkaLogCreator(logger: Logger) {
  return () =>
    (entry: LogEntry): void => {
      const line = formatEntry(entry);
      if (entry.level <= logLevel.WARN) logger.warn(line);
      else logger.debug(line);
    };
}

/** The numeric kafkajs level for a {@link KafkaLogLevel}. */
export function toKafkaLogLevel(level: KafkaLogLevel): logLevel {
  return LEVELS[level];
}

/** Creates the kafkajs client for `s`, logging through `logger`. */
export function createKafka(s: ClientSettings, logger: Logger): Kafka {
  return new Kafka({
    brokers: s.brokers,
    clientId: s.clientId,
    ssl: s.ssl,
    sasl: s.sasl,
    connectionTimeout: s.connectionTimeout,
    requestTimeout: s.requestTimeout,
    logLevel: LEVELS[s.kafkaLogLevel],
    logCreator: kafkaLogCreator(logger),
  });
}

/** The first cause in an error's chain matching `test` (kafkajs wraps errors in retry errors). */
export function findCause(err: unknown, test: (e: Error & { type?: string }) => boolean): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    if (test(e as Error & { type?: string })) return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}
