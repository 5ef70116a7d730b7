import type { LogMessage } from '@logpath/core';
import type { Message } from 'kafkajs';

/**
 * Most records in one request. kafkajs groups a request's records by
 * partition at a cost quadratic in the records of a partition (it copies the
 * list for every record): 1000 records cost 500 000 copies, four requests of
 * 250 cost 125 000.
 */
export const MAX_RECORDS = 250;

/** The records bound for one topic-partition in the current flush. */
export class PartitionBatch {
  /** Requests to send, in order, each below the byte budget and MAX_RECORDS. */
  readonly requests: Message[][] = [[]];
  /** The messages behind the records, in the same order. */
  readonly messages: LogMessage[] = [];
  #bytes = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  add(record: Message, msg: LogMessage, bytes: number, budget: number): void {
    let current = this.requests[this.requests.length - 1]!;
    if ((this.#bytes + bytes > budget && current.length > 0) || current.length >= MAX_RECORDS) {
      current = [];
      this.requests.push(current);
      this.#bytes = 0;
    }
    current.push(record);
    this.messages.push(msg);
    this.#bytes += bytes;
  }
}

/**
 * Groups a flush's records by topic and partition. Each partition is then
 * sent with its own `producer.send()` calls: kafkajs cannot lose an
 * acknowledged record of a request that only ever goes to one leader (its
 * multi-partition sends can, after a leader change: tulios/kafkajs#1798).
 */
export class PartitionBatches {
  #topics = new Map<string, PartitionBatch[]>();
  #count = 0;

  /** Records added since the last {@link take}. */
  get size(): number {
    return this.#count;
  }

  add(
    topic: string,
    partition: number,
    record: Message,
    msg: LogMessage,
    bytes: number,
    budget: number,
  ): void {
    let parts = this.#topics.get(topic);
    if (parts === undefined) this.#topics.set(topic, (parts = []));
    let batch = parts[partition];
    if (batch === undefined) parts[partition] = batch = new PartitionBatch(topic, partition);
    batch.add(record, msg, bytes, budget);
    this.#count++;
  }

  /** Hands out every partition's batch and starts empty. */
  take(): PartitionBatch[] {
    const out: PartitionBatch[] = [];
    for (const parts of this.#topics.values())
      for (const b of parts) if (b !== undefined) out.push(b);
    this.#topics = new Map();
    this.#count = 0;
    return out;
  }
}
