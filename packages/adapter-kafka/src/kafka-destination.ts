import { LogDestination, compileTemplate, type LogMessage, type SendResult } from '@logpath/core';
import {
  CompressionTypes,
  Partitioners,
  type Admin,
  type IHeaders,
  type Kafka,
  type Message,
  type Producer,
} from 'kafkajs';
import { createKafka } from './internal/kafka-client.js';
import { keyPartition } from './internal/murmur2.js';
import { PartitionBatches, type PartitionBatch } from './internal/partition-batches.js';
import { classifyProduceError, type ProduceFailure } from './internal/produce-errors.js';
import { resolveDestinationOptions } from './internal/resolve-destination-options.js';
import type {
  KafkaDestinationOptions,
  ResolvedKafkaDestinationOptions,
} from './kafka-destination-options.js';

type Format = (msg: LogMessage) => string;

/** Why the runtime hands a message back (marks live as long as the message). */
const WRITTEN = 1; // already in Kafka: acknowledge it, do not send it again
const ISOLATE = 2; // send it on its own: a request holding it failed as a whole
const OVERSIZE = 3; // too large for Kafka: drop it on its own
type Mark = typeof WRITTEN | typeof ISOLATE | typeof OVERSIZE;

interface TopicInfo {
  readonly partitions: number[];
  readonly at: number;
}

interface Outcome {
  /** Records of the batch written before a request failed. */
  readonly written: number;
  readonly error?: unknown;
  /** Records in the request that failed. */
  readonly failed: number;
}

const SEVERITY: Readonly<Record<ProduceFailure, number>> = {
  error: 1,
  'too-large': 2,
  'not-connected': 3,
};

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Produces each message as a Kafka record (kafkajs producer): topic, key,
 * value and headers from templates, batched through QUEUED and `flush()`.
 * Partitions are chosen here and each partition is sent with its own
 * `producer.send()`, which makes it immune to the kafkajs bug that loses
 * acknowledged records after a partition-leader change (tulios/kafkajs#1798).
 * Outages return NOT_CONNECTED (resent without limit, never dropped);
 * records already written when part of a flush fails are not sent again; a
 * record too large for Kafka is dropped (to the fallback destination) on
 * its own.
 *
 * @example
 * destinations: { kafka: { class: KafkaDestination, batchLines: 1000,
 *   options: { brokers: ['kafka-1:9092'], topic: 'logs-${PROGRAM}', key: '${HOST}' } } }
 */
export class KafkaDestination extends LogDestination<KafkaDestinationOptions> {
  #o!: ResolvedKafkaDestinationOptions;
  #kafka!: Kafka;
  #topic!: Format;
  #topicConst: string | undefined;
  #key: Format | undefined;
  #value!: Format;
  #headers: [string, Format][] | undefined;
  #compression: CompressionTypes = CompressionTypes.None;
  #producer: Producer | undefined;
  #admin: Admin | undefined;
  readonly #topics = new Map<string, TopicInfo>();
  #batches = new PartitionBatches();
  #riders: LogMessage[] = [];
  readonly #sticky = new Map<string, number>();
  /** Size of the last record {@link #record} built (a field, not an object per record). */
  #bytes = 0;
  #rotation = 0;
  readonly #marks = new WeakMap<LogMessage, Mark>();
  #markCount = 0;

  /**
   * Validates the options and compiles the templates (nothing connects yet).
   * @throws ConfigError (ERR_INVALID_OPTION) naming every invalid option.
   */
  override init(options: KafkaDestinationOptions): void {
    const o = resolveDestinationOptions(options);
    this.#o = o;
    this.#kafka = o.kafka ?? createKafka(o, this.logger);
    this.#topic = compileTemplate(o.topic);
    this.#topicConst = o.topic.includes('$') ? undefined : o.topic;
    this.#key = o.key === undefined ? undefined : compileTemplate(o.key);
    this.#value =
      o.value === undefined ? (m) => JSON.stringify(m.toJSON()) : compileTemplate(o.value);
    this.#headers =
      o.headers === undefined
        ? undefined
        : Object.entries(o.headers).map(([n, t]) => [n, compileTemplate(t)]);
    this.#compression = o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  /** Connects the producer and the admin client (which reads partition lists). */
  override async open(): Promise<boolean> {
    // Every record carries its partition (chosen here), so the partitioner never runs; naming one
    // keeps kafkajs from warning at each start that its default partitioner changed in v2.
    this.#producer ??= this.#kafka.producer({
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.#admin ??= this.#kafka.admin();
    await this.#producer.connect();
    await this.#admin.connect();
    return true;
  }

  override async close(): Promise<void> {
    const producer = this.#producer;
    const admin = this.#admin;
    this.#producer = undefined;
    this.#admin = undefined;
    this.#batches = new PartitionBatches();
    this.#riders = [];
    this.#topics.clear();
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }

  /** Adds the message to its partition's batch (QUEUED); see the class notes for the other results. */
  override send(msg: LogMessage): SendResult | Promise<SendResult> {
    if (this.#markCount > 0) {
      const mark = this.#marks.get(msg);
      if (mark !== undefined) {
        this.#marks.delete(msg);
        this.#markCount--;
        return this.#sendMarked(msg, mark);
      }
    }
    const topic = this.#topicConst ?? this.#topic(msg);
    const info = this.#topics.get(topic);
    if (info === undefined) return this.#addAfterLookup(msg, topic);
    return this.#add(msg, topic, info);
  }

  /** Sends every partition's batch, one `producer.send()` per partition (in parallel). */
  override async flush(): Promise<SendResult> {
    const { code } = await this.#sendPending();
    return code;
  }

  get #pending(): number {
    return this.#batches.size + this.#riders.length;
  }

  #add(msg: LogMessage, topic: string, info: TopicInfo): SendResult | Promise<SendResult> {
    const r = this.#record(msg, topic, info);
    if (r === undefined) {
      this.logger.error(
        `a record of ${this.#bytes} bytes exceeds maxMessageBytes (${this.#o.maxMessageBytes}); dropped without sending it`,
      );
      return this.#pending === 0 ? this.DROP : this.#alone(msg, OVERSIZE);
    }
    this.#batches.add(topic, r.partition!, r, msg, this.#bytes, this.#o.maxMessageBytes);
    return this.QUEUED;
  }

  async #addAfterLookup(msg: LogMessage, topic: string): Promise<SendResult> {
    let info: TopicInfo;
    try {
      info = await this.#lookup(topic);
    } catch (err) {
      // Alone, the failure costs only this message (the runtime fails whole backlogs).
      if (this.#pending > 0) return this.#alone(msg, ISOLATE);
      return this.#failed(err, `reading the partitions of topic "${topic}" failed`);
    }
    return this.#add(msg, topic, info);
  }

  /**
   * Builds the record (its size in {@link #bytes}), or returns undefined when
   * it is too large to send ({@link #bytes} then holds its exact size).
   */
  #record(msg: LogMessage, topic: string, info: TopicInfo): Message | undefined {
    const value = this.#value(msg);
    const key = this.#key === undefined ? null : this.#key(msg);
    let bytes = value.length + (key === null ? 0 : key.length);
    let headers: IHeaders | undefined;
    if (this.#headers !== undefined) {
      headers = {};
      for (const [name, format] of this.#headers) {
        const v = format(msg);
        headers[name] = v;
        bytes += name.length + v.length;
      }
    }
    this.#bytes = bytes;
    const max = this.#o.maxMessageBytes;
    if (bytes * 3 > max) {
      // .length counts UTF-16 units; each is at most 3 bytes, so only long strings are measured.
      let exact = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key));
      if (headers !== undefined)
        for (const n in headers)
          exact += Buffer.byteLength(n) + Buffer.byteLength(headers[n] as string);
      if (exact > max) {
        this.#bytes = exact;
        return undefined;
      }
    }
    const timestamp = String(msg.timestampMs);
    // kafkajs copies every record's properties once per request: absent key and headers are
    // left out rather than set to null (one of two shapes, so the copy stays fast).
    if (key === null && headers === undefined)
      return { value, partition: this.#stickyPartition(topic, info), timestamp };
    const partition =
      key === null ? this.#stickyPartition(topic, info) : keyPartition(key, info.partitions.length);
    return { key, value, headers, partition, timestamp };
  }

  /**
   * Keyless records of one flush all go to one partition of the topic (one
   * partition's requests); the next flush takes the next partition. (Spreading
   * a flush over several partitions sent in parallel measured slower against
   * the mock.)
   */
  #stickyPartition(topic: string, info: TopicInfo): number {
    let p = this.#sticky.get(topic);
    if (p === undefined) {
      p = info.partitions[this.#rotation++ % info.partitions.length]!;
      this.#sticky.set(topic, p);
    }
    return p;
  }

  async #lookup(topic: string): Promise<TopicInfo> {
    const admin = this.#admin;
    if (admin === undefined) throw new Error('the destination is not open');
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const meta = topics.find((t) => t.name === topic);
    if (meta === undefined || meta.partitions.length === 0) {
      throw Object.assign(new Error(`topic "${topic}" does not exist`), {
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
    }
    const info = {
      partitions: meta.partitions.map((p) => p.partitionId).sort((a, b) => a - b),
      at: Date.now(),
    };
    this.#topics.set(topic, info);
    return info;
  }

  #sendMarked(msg: LogMessage, mark: Mark): SendResult | Promise<SendResult> {
    if (mark === WRITTEN) {
      if (this.#pending === 0) return this.SUCCESS;
      this.#riders.push(msg); // acknowledged with the batch, never sent
      return this.QUEUED;
    }
    if (this.#pending > 0) return this.#alone(msg, mark);
    if (mark === OVERSIZE) {
      this.logger.error('a record Kafka refused as too large was dropped');
      return this.DROP;
    }
    return this.#sendOne(msg);
  }

  /**
   * Gets `msg` alone into the runtime's backlog: delivers the batch queued
   * before it, then asks for a resend (RETRY), in which the delivered
   * messages are acknowledged one by one and `msg` comes back with `mark`.
   */
  async #alone(msg: LogMessage, mark: Mark): Promise<SendResult> {
    const { code, sent } = await this.#sendPending();
    this.#mark(msg, mark);
    if (code !== this.SUCCESS) return code;
    for (const m of sent) this.#mark(m, WRITTEN);
    return this.RETRY;
  }

  async #sendOne(msg: LogMessage): Promise<SendResult> {
    const topic = this.#topicConst ?? this.#topic(msg);
    let info: TopicInfo;
    try {
      info = this.#topics.get(topic) ?? (await this.#lookup(topic));
    } catch (err) {
      return this.#failed(err, `reading the partitions of topic "${topic}" failed`);
    }
    const r = this.#record(msg, topic, info);
    if (r === undefined) return this.DROP;
    this.#sticky.delete(topic);
    try {
      await this.#produce(topic, [r]);
      return this.SUCCESS;
    } catch (err) {
      if (classifyProduceError(err) === 'too-large') {
        this.logger.error(`Kafka refused a record as too large (${describe(err)}); dropped`);
        return this.DROP;
      }
      return this.#failed(err, `producing to ${topic}[${r.partition}] failed`);
    }
  }

  #produce(topic: string, messages: Message[]): Promise<unknown> {
    const producer = this.#producer;
    if (producer === undefined) return Promise.reject(new Error('the destination is not open'));
    const o = this.#o;
    return producer.send({
      topic,
      messages,
      acks: o.acks,
      timeout: o.timeout,
      compression: this.#compression,
    });
  }

  async #sendBatch(b: PartitionBatch): Promise<Outcome> {
    let written = 0;
    for (const records of b.requests) {
      if (records.length === 0) continue;
      try {
        await this.#produce(b.topic, records);
      } catch (error) {
        return { written, error, failed: records.length };
      }
      written += records.length;
    }
    return { written, failed: 0 };
  }

  /** Sends what is queued; on a partial failure, marks what the resend must skip, isolate or drop. */
  async #sendPending(): Promise<{ code: SendResult; sent: LogMessage[] }> {
    const batches = this.#batches.take();
    const riders = this.#riders;
    this.#riders = [];
    this.#sticky.clear();
    this.#expireTopics();
    const sent = riders.slice();
    if (batches.length === 0) return { code: this.SUCCESS, sent };
    const outcomes = await Promise.all(batches.map((b) => this.#sendBatch(b)));
    for (const b of batches) for (const m of b.messages) sent.push(m);
    let worst: ProduceFailure | undefined;
    let first: unknown;
    for (const o of outcomes) {
      if (o.error === undefined) continue;
      const kind = classifyProduceError(o.error);
      if (worst === undefined || SEVERITY[kind] > SEVERITY[worst]) worst = kind;
      first ??= o.error;
    }
    if (worst === undefined) return { code: this.SUCCESS, sent };
    let written = riders.length;
    for (const m of riders) this.#mark(m, WRITTEN);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const o = outcomes[i]!;
      for (let j = 0; j < o.written; j++) this.#mark(b.messages[j]!, WRITTEN);
      written += o.written;
      if (o.error === undefined) continue;
      this.#topics.delete(b.topic); // its partition list may have changed
      if (classifyProduceError(o.error) === 'too-large') {
        const mark = o.failed === 1 ? OVERSIZE : ISOLATE;
        for (let j = o.written; j < o.written + o.failed; j++) this.#mark(b.messages[j]!, mark);
      }
    }
    const code = worst === 'too-large' ? this.RETRY : this.#failed(first, 'producing failed');
    if (written > 0)
      this.logger.info(
        `${written} records of the failed flush were written and will not be sent again`,
      );
    return { code, sent };
  }

  /** Logs a failure and returns its result code: outages are waited out, other errors count as retries. */
  #failed(err: unknown, what: string): SendResult {
    const kind = classifyProduceError(err);
    if (kind === 'not-connected') {
      this.logger.warn(`${what}: ${describe(err)}; reconnecting`);
      return this.NOT_CONNECTED;
    }
    this.logger.error(`${what}: ${describe(err)}`);
    return this.ERROR;
  }

  #mark(msg: LogMessage, mark: Mark): void {
    if (!this.#marks.has(msg)) this.#markCount++;
    this.#marks.set(msg, mark);
  }

  #expireTopics(): void {
    const maxAge = this.#o.metadataMaxAge;
    if (this.#topics.size === 0) return;
    const now = Date.now();
    for (const [topic, info] of this.#topics)
      if (now - info.at > maxAge) this.#topics.delete(topic);
  }
}
