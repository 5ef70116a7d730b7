import type { ConnectionOptions } from 'node:tls';
import type { Kafka, SASLOptions } from 'kafkajs';
import type { KafkaLogLevel } from './internal/kafka-client.js';

/** Acknowledgement the broker waits for before answering a produce request. */
export type KafkaAcks = -1 | 0 | 1;

/** Record-batch compression of {@link KafkaDestination}. */
export type KafkaCompression = 'none' | 'gzip';

/**
 * Options of {@link KafkaDestination}. Only `topic` and `brokers` (or
 * `kafka`) are required; the defaults are in
 * {@link DEFAULT_KAFKA_DESTINATION_OPTIONS}. Durations are in milliseconds.
 */
export interface KafkaDestinationOptions {
  /** Bootstrap brokers, `host:port`, as a list or one comma-separated string. Required unless `kafka` is given. */
  brokers?: string[] | string;
  /**
   * A ready kafkajs `Kafka` instance (or a kafkajs-compatible client); then
   * leave out `brokers`, `clientId`, `ssl`, `sasl`, `connectionTimeout`,
   * `requestTimeout` and `kafkaLogLevel`.
   */
  kafka?: Kafka;
  /** Client id sent to the brokers. Default `logpath`. */
  clientId?: string;
  /** TLS: `true` or Node `tls.connect` options; passed to kafkajs. Default: off. */
  ssl?: boolean | ConnectionOptions;
  /** SASL settings; passed to kafkajs. Default: off. */
  sasl?: SASLOptions;
  /** Topic, a template: `app-${PROGRAM}` routes per message. Required. */
  topic: string;
  /**
   * Record key, a template. Records with a key go to the partition Kafka's
   * default partitioner picks for it (same key, same partition); without
   * one, each batch goes to one partition, rotating per batch. Default: no key.
   */
  key?: string;
  /** Record value, a template. Default: the message as one JSON object (NDJSON line without the newline). */
  value?: string;
  /** Record headers: name → template. Default: none. */
  headers?: Record<string, string>;
  /** -1: all in-sync replicas (default), 1: the leader only, 0: no answer (nothing is confirmed). */
  acks?: KafkaAcks;
  /** `none` (default) or `gzip`. */
  compression?: KafkaCompression;
  /** How long the broker may wait for the acks, in ms. Default 30000. */
  timeout?: number;
  /**
   * Largest record (value + key + headers, in bytes) sent; a larger one is
   * dropped (to the fallback destination, if any) without being sent, as is one
   * the broker rejects as too large. Requests are split to stay below it.
   * Default 1048576 (Kafka's default `max.message.bytes` is 1048588).
   */
  maxMessageBytes?: number;
  /** How long a topic's partition list is trusted before it is read again. Default 300000. */
  metadataMaxAge?: number;
  /** kafkajs `connectionTimeout`. Default 1000. */
  connectionTimeout?: number;
  /** kafkajs `requestTimeout`. Default 30000. */
  requestTimeout?: number;
  /** kafkajs' own log lines passed to this destination's logger (errors as warnings). Default `warn`. */
  kafkaLogLevel?: KafkaLogLevel;
}

/** {@link KafkaDestinationOptions} after defaults and validation. @internal */
export interface ResolvedKafkaDestinationOptions {
  brokers: string[];
  kafka: Kafka | undefined;
  clientId: string;
  ssl: boolean | ConnectionOptions | undefined;
  sasl: SASLOptions | undefined;
  topic: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string> | undefined;
  acks: KafkaAcks;
  compression: KafkaCompression;
  timeout: number;
  maxMessageBytes: number;
  metadataMaxAge: number;
  connectionTimeout: number;
  requestTimeout: number;
  kafkaLogLevel: KafkaLogLevel;
}

/** The defaults of every optional {@link KafkaDestinationOptions} field (`key`, `value`, `headers`, `ssl`, `sasl`: unset). */
export const DEFAULT_KAFKA_DESTINATION_OPTIONS: Readonly<
  Omit<ResolvedKafkaDestinationOptions, 'brokers' | 'kafka' | 'topic'>
> = Object.freeze({
  clientId: 'logpath',
  ssl: undefined,
  sasl: undefined,
  key: undefined,
  value: undefined,
  headers: undefined,
  acks: -1,
  compression: 'none',
  timeout: 30_000,
  maxMessageBytes: 1_048_576,
  metadataMaxAge: 300_000,
  connectionTimeout: 1_000,
  requestTimeout: 30_000,
  kafkaLogLevel: 'warn',
});
