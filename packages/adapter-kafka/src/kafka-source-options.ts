import type { ConnectionOptions } from 'node:tls';
import type { Kafka, SASLOptions } from 'kafkajs';
import type { KafkaLogLevel } from './internal/kafka-client.js';

/** When {@link KafkaSource} commits an offset: after delivery (at-least-once) or on receipt. */
export type KafkaCommitMode = 'delivered' | 'received';

/** How {@link KafkaSource} turns a record's value into a message. */
export type KafkaSourceFormat = 'raw' | 'json' | 'syslog';

export type { KafkaLogLevel };

/**
 * Options of {@link KafkaSource}. Only `groupId`, `topics` and `brokers` (or
 * `kafka`) are required; every other option has the default listed in
 * {@link DEFAULT_KAFKA_SOURCE_OPTIONS}. Durations are in milliseconds.
 */
export interface KafkaSourceOptions {
  /** Bootstrap brokers, `host:port`, as a list or one comma-separated string. Required unless `kafka` is given. */
  brokers?: string[] | string;
  /**
   * A ready kafkajs `Kafka` instance (or a kafkajs-compatible client) to use
   * instead of building one; `brokers`, `clientId`, `ssl`, `sasl`,
   * `connectionTimeout`, `requestTimeout` and `kafkaLogLevel` must then be left out.
   */
  kafka?: Kafka;
  /** Client id sent to the brokers. Default `logpath`. */
  clientId?: string;
  /** Consumer group. Processes with the same group share the partitions. Required. */
  groupId: string;
  /** Topic names or RegExps (matched against the topics that exist at startup). Required, non-empty. */
  topics: (string | RegExp)[];
  /** Without a committed offset, start at the oldest record instead of the newest. Default false. */
  fromBeginning?: boolean;
  /** TLS: `true` or Node `tls.connect` options; passed to kafkajs. Default: off. */
  ssl?: boolean | ConnectionOptions;
  /** SASL settings (`plain`, `scram-sha-256`, `scram-sha-512`, `aws`, `oauthbearer`); passed to kafkajs. Default: off. */
  sasl?: SASLOptions;
  /**
   * `delivered` (default): commit per partition only the contiguous prefix of
   * records that every destination has delivered (or dropped) — at-least-once.
   * `received`: commit as soon as records are posted — faster, but records in
   * flight are lost if the process dies.
   */
  commit?: KafkaCommitMode;
  /**
   * With `commit: 'delivered'`: most unacknowledged records per partition. A
   * Kafka batch is one logpath batch unless it holds more records than this;
   * then it is posted in slices of `maxInFlight`, each delivered before the next. Default 10000.
   */
  maxInFlight?: number;
  /**
   * With `commit: 'delivered'`: 0 (the default) commits after every batch
   * (without waiting for the answer); a larger value commits at most that
   * often, in ms (a rebalance, a stop or exit commits at once). Fewer commit
   * requests, but what a crash (SIGKILL) — or a commit a rebalance refuses —
   * delivers twice grows with it.
   */
  commitInterval?: number;
  /**
   * How long a rebalance, a consumer restart or `requestExit()` waits for
   * in-flight records to be delivered before it commits what is done and gives
   * up on the rest (they are read again). Must be below `rebalanceTimeout`. Default 5000.
   */
  drainTimeout?: number;
  /**
   * With `commit: 'delivered'`, after a rebalance in a group of several
   * members: how long partitions that moved here stay paused, so that their
   * previous owner can commit what it delivered; reading then starts at the
   * committed offset. 0 disables the wait. Default 1000.
   */
  handoverDelay?: number;
  /** `raw` (default): MESSAGE is the value. `json`: the value's fields become fields. `syslog`: parsed with `LogMessage.parse`. */
  format?: KafkaSourceFormat;
  /** With `format: 'json'`: the field copied to MESSAGE. Default `message`. */
  messageField?: string;
  /**
   * Partitions whose batches are processed at the same time (kafkajs
   * `partitionsConsumedConcurrently`). With `commit: 'delivered'` a batch is
   * held until it is delivered: more lets the deliveries of several partitions
   * overlap (worth it with slow destinations), at the cost of memory. Default 1.
   */
  partitionsConsumedConcurrently?: number;
  /** kafkajs `sessionTimeout`. Default 30000. */
  sessionTimeout?: number;
  /** kafkajs `rebalanceTimeout`. Default 60000. */
  rebalanceTimeout?: number;
  /** kafkajs `heartbeatInterval` (also how often a waiting batch heartbeats); below `sessionTimeout`. Default 3000. */
  heartbeatInterval?: number;
  /** kafkajs `maxWaitTimeInMs`: how long a fetch waits for data. Default 5000. */
  maxWaitTimeInMs?: number;
  /** kafkajs `maxBytesPerPartition`. Default 1048576. */
  maxBytesPerPartition?: number;
  /** kafkajs `maxBytes` per fetch. Default 10485760. */
  maxBytes?: number;
  /** kafkajs `connectionTimeout`. Default 1000. */
  connectionTimeout?: number;
  /** kafkajs `requestTimeout`. Default 30000. */
  requestTimeout?: number;
  /** kafkajs' own log lines passed to this source's logger (errors as warnings). Default `warn`. */
  kafkaLogLevel?: KafkaLogLevel;
}

/** {@link KafkaSourceOptions} after defaults and validation. @internal */
export interface ResolvedKafkaSourceOptions {
  brokers: string[];
  kafka: Kafka | undefined;
  clientId: string;
  groupId: string;
  topics: (string | RegExp)[];
  fromBeginning: boolean;
  ssl: boolean | ConnectionOptions | undefined;
  sasl: SASLOptions | undefined;
  commit: KafkaCommitMode;
  maxInFlight: number;
  commitInterval: number;
  drainTimeout: number;
  handoverDelay: number;
  format: KafkaSourceFormat;
  messageField: string;
  partitionsConsumedConcurrently: number;
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
  maxWaitTimeInMs: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  connectionTimeout: number;
  requestTimeout: number;
  kafkaLogLevel: KafkaLogLevel;
}

/** The defaults of every optional {@link KafkaSourceOptions} field (`ssl`, `sasl`: off). */
export const DEFAULT_KAFKA_SOURCE_OPTIONS: Readonly<
  Omit<ResolvedKafkaSourceOptions, 'brokers' | 'kafka' | 'groupId' | 'topics'>
> = Object.freeze({
  clientId: 'logpath',
  fromBeginning: false,
  ssl: undefined,
  sasl: undefined,
  commit: 'delivered',
  maxInFlight: 10_000,
  commitInterval: 0,
  drainTimeout: 5_000,
  handoverDelay: 1_000,
  format: 'raw',
  messageField: 'message',
  partitionsConsumedConcurrently: 1,
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxWaitTimeInMs: 5_000,
  maxBytesPerPartition: 1_048_576,
  maxBytes: 10_485_760,
  connectionTimeout: 1_000,
  requestTimeout: 30_000,
  kafkaLogLevel: 'warn',
});
