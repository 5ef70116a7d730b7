import { InstantAckTracker, LogSource, showValue } from '@logpath/core';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { createKafka } from './internal/kafka-client.js';
import { ConsumerEvents, type GroupAssignment } from './internal/consumer-events.js';
import { OffsetTracker, type Chunk, type PendingCommit } from './internal/offset-tracker.js';
import { PauseManager } from './internal/pause-manager.js';
import { resolveSourceOptions } from './internal/resolve-source-options.js';
import { createConverter, type Converter } from './internal/to-log-message.js';
import type { KafkaSourceOptions, ResolvedKafkaSourceOptions } from './kafka-source-options.js';

/** The transport name of every message. */
const TRANSPORT = 'kafka';

/** Errors that mean the group moved on: kafkajs must rejoin before anything else works. */
const MEMBERSHIP_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

function isMembershipError(err: unknown): boolean {
  return MEMBERSHIP_ERRORS.has((err as { type?: string } | undefined)?.type ?? '');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface TopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

/** kafkajs' OffsetsByTopicPartition as the flat list `consumer.commitOffsets()` takes. */
function toTopicPartitionOffsets(offsets: {
  topics: TopicOffsets[];
}): { topic: string; partition: number; offset: string }[] {
  return offsets.topics.flatMap((t) => t.partitions.map((x) => ({ topic: t.topic, ...x })));
}

/** What {@link KafkaSource.kafkaStats} reports. */
export interface KafkaSourceStats {
  /** Times the consumer joined its group (the first join included). */
  readonly joins: number;
  /** Rebalances the consumer took part in after joining. */
  readonly rebalances: number;
  /** kafkajs consumer crashes (each followed by a restart). */
  readonly crashes: number;
  /** Offset commits that succeeded / failed. */
  readonly commits: number;
  readonly commitErrors: number;
  /** Times flow control paused the assigned partitions (the window was full). */
  readonly flowPauses: number;
  /** Rebalances after which partitions were held for a handover. */
  readonly handovers: number;
  /** Times `drainTimeout` ran out with messages still in flight (they are read again). */
  readonly drainTimeouts: number;
  /** Partitions assigned right now. */
  readonly assigned: number;
  /** Messages posted and not yet acknowledged (`commit: 'delivered'`). */
  readonly inFlight: number;
  /** True while flow control keeps the partitions paused. */
  readonly paused: boolean;
}

/**
 * Reads Kafka topics as a consumer-group member (kafkajs) and posts every
 * record as a message: each Kafka batch is one logpath batch. With
 * `commit: 'delivered'` (the default) a partition's offset is committed only
 * up to the contiguous prefix of records every destination has delivered
 * (or dropped) — at-least-once, also across crashes, rebalances and
 * scale-out. A full window pauses the assigned partitions until wakeup while
 * the group membership is kept alive. Broker outages, leader and coordinator
 * moves and kafkajs consumer crashes are logged, counted in
 * {@link kafkaStats}, and recovered from.
 *
 * @example
 * sources: { kafka: { class: KafkaSource, options: {
 *   brokers: ['kafka-1:9092'], groupId: 'logpath', topics: ['app-logs'], format: 'json' } } }
 */
export class KafkaSource extends LogSource<KafkaSourceOptions> {
  #o!: ResolvedKafkaSourceOptions;
  #kafka!: Kafka;
  #convert!: Converter;
  readonly #tracker = new OffsetTracker();
  readonly #pauses = new PauseManager();
  #consumer: Consumer | undefined;
  #admin: Promise<Admin> | undefined;
  #stopping = false;
  #generation = 0;
  #assignment = new Map<string, Set<number>>();
  /** Group size seen by this member's assigner, when it led the last assignment. */
  #members = 0;
  /** Whether the consumer's runner fetches (kafkajs drops commits made before, during its first join). */
  #fetching = false;
  #fetchWaiters: (() => void)[] = [];
  /** Commits a handover could not make; tried once more at the next join. */
  #owed: PendingCommit[] = [];
  #lastCommit = 0;
  #commitTimer: NodeJS.Timeout | undefined;
  #stats = {
    joins: 0,
    rebalances: 0,
    crashes: 0,
    commits: 0,
    commitErrors: 0,
    handovers: 0,
    drainTimeouts: 0,
  };

  /**
   * Validates the options and builds the client (nothing connects yet).
   * @throws ConfigError (ERR_INVALID_OPTION) naming every invalid option.
   */
  override init(options: KafkaSourceOptions): void {
    const o = resolveSourceOptions(options);
    this.#o = o;
    this.#kafka = o.kafka ?? createKafka(o, this.logger);
    this.#convert = createConverter(o.format, o.messageField, TRANSPORT);
    this.autoCloseBatches = false;
    if (o.commit === 'delivered') {
      this.ackTracker = new InstantAckTracker((bookmark, status) =>
        this.#tracker.ack(bookmark as number, status),
      );
    }
    this.setTransportName(TRANSPORT);
  }

  /** Counters and state of the consumer, beside the pipeline's own stats. */
  kafkaStats(): KafkaSourceStats {
    let assigned = 0;
    for (const parts of this.#assignment.values()) assigned += parts.size;
    return Object.freeze({
      ...this.#stats,
      flowPauses: this.#pauses.flowPauses,
      assigned,
      inFlight: this.#tracker.inFlight,
      paused: this.#pauses.flowPaused,
    });
  }

  /** Joins the group and consumes until exit; a consumer kafkajs gave up on makes it throw (and restart). */
  override async run(): Promise<void> {
    const o = this.#o;
    const consumer = this.#kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeout,
      rebalanceTimeout: o.rebalanceTimeout,
      heartbeatInterval: o.heartbeatInterval,
      maxWaitTimeInMs: o.maxWaitTimeInMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxBytes: o.maxBytes,
      partitionAssigners: [ConsumerEvents.countingAssigner((n) => (this.#members = n))],
    });
    this.#consumer = consumer;
    this.#pauses.attach(consumer);
    this.#generation++;
    this.#fetching = false;
    let fatal: (err: Error) => void = () => {};
    const failed = new Promise<Error>((resolve) => (fatal = resolve));
    const events = new ConsumerEvents(consumer, {
      join: (a) => this.#onJoin(consumer, a),
      rebalancing: () => {
        this.#stats.rebalances++;
        this.logger.info(`group ${o.groupId} is rebalancing`);
        // kafkajs is about to rejoin: what was delivered between batches is committed first (a
        // broker accepts commits of the old generation until this member rejoins).
        if (o.commit === 'delivered' && this.#fetching) {
          void this.#commitAll((offsets) =>
            consumer.commitOffsets(toTopicPartitionOffsets(offsets)),
          );
        }
      },
      fetchStart: () => {
        if (this.#fetching) return;
        this.#fetching = true;
        for (const w of this.#fetchWaiters.splice(0)) w();
      },
      crash: (err, restart) => {
        this.#stats.crashes++;
        this.#fetching = false; // a restarted runner starts with a join again
        if (restart) {
          this.logger.warn(`the kafkajs consumer crashed and restarts: ${describe(err)}`);
        } else {
          this.logger.error(`the kafkajs consumer crashed for good; starting a new one`, err);
          fatal(err);
        }
      },
    });
    const exit = new Promise<void>((resolve) => {
      if (this.signal.aborted) resolve();
      else this.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    let started = false;
    const start = this.#start(consumer).finally(() => (started = true));
    start.catch(() => {}); // observed by the race below, or settled at exit
    try {
      await Promise.race([start, exit]);
      const outcome = await Promise.race([exit, failed]);
      if (outcome !== undefined) throw outcome;
    } finally {
      this.#stopping = true;
      clearTimeout(this.#commitTimer);
      this.#commitTimer = undefined;
      // What was delivered since the last commit (a batch in progress commits on its own).
      if (o.commit === 'delivered' && this.#fetching) {
        await Promise.race([
          this.#commitAll((offsets) => consumer.commitOffsets(toTopicPartitionOffsets(offsets))),
          this.#delay(o.drainTimeout),
        ]);
      }
      // Stops fetching, waits for the batches in progress (bounded by drainTimeout), leaves the group.
      await this.#disconnect(consumer);
      if (!started) {
        // kafkajs ignores stop() while its first join is in progress; stop again once it is done.
        await Promise.race([start.catch(() => {}), this.#delay(o.rebalanceTimeout)]);
        await this.#disconnect(consumer);
      }
      events.remove();
      await this.#closeAdmin();
      this.#pauses.attach(undefined);
      this.#consumer = undefined;
      this.#assignment = new Map();
      this.#stopping = false;
    }
  }

  /** Window full: pause every assigned partition. */
  override suspend(): void {
    this.#pauses.pauseFlow();
  }

  /** Window free again: resume them. */
  override wakeup(): void {
    this.#pauses.resumeFlow();
  }

  async #start(consumer: Consumer): Promise<void> {
    const o = this.#o;
    await consumer.connect();
    await consumer.subscribe({ topics: o.topics, fromBeginning: o.fromBeginning });
    await consumer.run({
      autoCommit: o.commit === 'received',
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
      eachBatch: this.#eachBatch,
    });
  }

  readonly #eachBatch = async (p: EachBatchPayload): Promise<void> => {
    const { topic, partition, messages } = p.batch;
    if (messages.length === 0 || this.#stopping || this.exitRequested) return;
    if (!p.isRunning() || p.isStale() || this.#pauses.isHeld(topic, partition)) return;
    // Fetched before the pause took effect: kept until there is room (or left unresolved, to be read again).
    if (!this.hasRoom && !(await this.#room(p))) return;
    if (this.#o.commit === 'received') {
      this.#post(p, messages, 0, messages.length, undefined);
      return; // kafkajs commits the resolved offsets after the batch
    }
    await this.#deliver(p, topic, partition, messages);
  };

  /** Posts `messages[from, to)` as one logpath batch and moves the fetch position past them. */
  #post(
    p: EachBatchPayload,
    messages: KafkaMessage[],
    from: number,
    to: number,
    chunk: Chunk | undefined,
  ): void {
    const convert = this.#convert;
    convert.begin(p.batch.topic, p.batch.partition);
    if (chunk === undefined) {
      for (let i = from; i < to; i++) this.postMessage(convert.convert(messages[i]!, undefined));
    } else {
      const base = chunk.base - from;
      for (let i = from; i < to; i++) this.postMessage(convert.convert(messages[i]!, base + i));
    }
    this.closeBatch();
    p.resolveOffset(messages[to - 1]!.offset);
  }

  /**
   * `commit: 'delivered'`: posts the batch in slices of maxInFlight and waits
   * for each to be acknowledged (heartbeating, so a slow destination keeps the
   * membership). kafkajs rejoins a group only between batches, so it never
   * rejoins with messages of this member in flight. The delivered prefixes are
   * committed at most every commitInterval, and at once when the group
   * rebalances, the consumer stops or exit is requested.
   */
  async #deliver(
    p: EachBatchPayload,
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<void> {
    let failure: unknown;
    for (let from = 0; from < messages.length; from += this.#o.maxInFlight) {
      const to = Math.min(messages.length, from + this.#o.maxInFlight);
      const chunk = this.#tracker.open(topic, partition, messages, from, to);
      this.#post(p, messages, from, to, chunk);
      failure = await this.#settle(chunk, p, topic, partition);
      const ending =
        failure !== undefined || this.#stopping || this.exitRequested || !p.isRunning();
      const commit = (offsets: { topics: TopicOffsets[] }): Promise<void> =>
        p.commitOffsetsIfNecessary(offsets);
      if (ending) {
        // Owed until a commit succeeds (or the next join); kafkajs must see the error too, to
        // rejoin or restart against a cluster that is gone.
        failure ??= await this.#commitAll(commit);
      } else if (Date.now() - this.#lastCommit >= this.#o.commitInterval) {
        // Not awaited: the request is on the coordinator's connection before any later
        // JoinGroup, so the broker applies it first; a failure leaves the offsets owed.
        void this.#commitAll(commit);
      } else {
        this.#scheduleCommit(); // in case no batch comes to commit this one
      }
      if (failure !== undefined || ending) break;
      if (to < messages.length && !this.hasRoom && !(await this.#room(p))) break; // the rest is read again
    }
    // kafkajs rejoins (or retries) after this; failures are kafkajs' own errors or commit errors.
    if (failure !== undefined) {
      throw failure instanceof Error ? failure : new Error(`kafkajs failed: ${showValue(failure)}`);
    }
  }

  /**
   * The window is full: pauses the assigned partitions (no more fetches) and
   * waits, heartbeating, until it has room. False when the batch must be left
   * for later instead (exit, or the consumer stops); throws when a heartbeat
   * says the group rebalances.
   */
  async #room(p: EachBatchPayload): Promise<boolean> {
    this.#pauses.pauseFlow();
    while (!this.hasRoom) {
      if (this.#stopping || this.exitRequested || !p.isRunning() || p.isStale()) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.waitForWindow(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#o.heartbeatInterval))),
      ]);
      clearTimeout(timer);
      if (!this.hasRoom && !this.exitRequested) await p.heartbeat();
    }
    return true;
  }

  /**
   * Waits until every message of `chunk` is acknowledged. Unbounded while all
   * is well; once the group rebalances, the consumer stops or exit is
   * requested, for at most drainTimeout more. Returns the heartbeat error that
   * announced a rebalance, if any.
   */
  async #settle(
    chunk: Chunk,
    p: EachBatchPayload,
    topic: string,
    partition: number,
  ): Promise<unknown> {
    const o = this.#o;
    let failure: unknown;
    let deadline = Infinity;
    while (!chunk.settled) {
      if (
        deadline === Infinity &&
        (failure !== undefined || this.#stopping || this.exitRequested || !p.isRunning())
      ) {
        deadline = Date.now() + o.drainTimeout;
      }
      const wait = Math.min(o.heartbeatInterval, deadline - Date.now());
      if (wait <= 0) {
        this.#stats.drainTimeouts++;
        this.logger.warn(
          `${chunk.pending} messages of ${topic}[${partition}] still in flight after drainTimeout (${o.drainTimeout} ms); ` +
            'committing the delivered prefix, the rest will be read again',
        );
        break;
      }
      await chunk.wait(wait, deadline === Infinity ? this.signal : undefined);
      if (chunk.settled || failure !== undefined || this.exitRequested) continue;
      try {
        await p.heartbeat(); // kafkajs heartbeats only between batches; this batch may wait long
      } catch (err) {
        failure = err;
        this.logger.info(
          `heartbeat while delivering ${topic}[${partition}]: ${describe(err)}; draining before rejoining`,
        );
      }
    }
    return failure;
  }

  /** Commits what is owed once commitInterval has passed since the last commit, batch or not. */
  #scheduleCommit(): void {
    if (this.#commitTimer !== undefined) return;
    const wait = Math.max(0, this.#lastCommit + this.#o.commitInterval - Date.now());
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = undefined;
      const consumer = this.#consumer;
      if (consumer === undefined || !this.#fetching || this.#stopping) return;
      void this.#commitAll((offsets) => consumer.commitOffsets(toTopicPartitionOffsets(offsets)));
    }, wait);
    this.#commitTimer.unref();
  }

  /** Commits the delivered prefix of every partition that moved; returns the error when that failed. */
  async #commitAll(
    commit: (offsets: { topics: TopicOffsets[] }) => Promise<unknown>,
  ): Promise<unknown> {
    const pending = this.#tracker.pendingCommits();
    this.#lastCommit = Date.now();
    if (pending.length === 0) return undefined;
    const byTopic = new Map<string, TopicOffsets>();
    for (const { topic, partition, offset } of pending) {
      let t = byTopic.get(topic);
      if (t === undefined) byTopic.set(topic, (t = { topic, partitions: [] }));
      t.partitions.push({ partition, offset });
    }
    try {
      await commit({ topics: [...byTopic.values()] });
      for (const c of pending) this.#tracker.committed(c.topic, c.partition, c.offset);
      this.#stats.commits++;
      return undefined;
    } catch (err) {
      this.#stats.commitErrors++;
      const line = `committing the offsets of ${pending.length} partitions failed (${describe(err)}); they are committed later`;
      if (isMembershipError(err)) this.logger.info(line);
      else this.logger.warn(line);
      return err;
    }
  }

  #onJoin(consumer: Consumer, a: GroupAssignment): void {
    this.#stats.joins++;
    const generation = ++this.#generation;
    const pending = this.#tracker.pendingCommits();
    for (const c of this.#owed)
      if (!pending.some((p) => p.topic === c.topic && p.partition === c.partition)) pending.push(c);
    this.#owed = [];
    this.#tracker.reset();
    const before = this.#assignment;
    const now = new Map<string, Set<number>>();
    for (const [topic, parts] of Object.entries(a.memberAssignment)) now.set(topic, new Set(parts));
    this.#assignment = now;
    this.#pauses.setTopics([...now.keys()]);
    const alone = a.isLeader && this.#members === 1;
    this.#members = 0;
    const list = [...now]
      .map(([t, ps]) => `${t}[${[...ps].sort((x, y) => x - y).join(',')}]`)
      .join(' ');
    this.logger.info(
      `joined group ${this.#o.groupId} as ${a.memberId}${alone ? ' (alone)' : ''}: ${list || 'no partitions'}`,
    );
    if (this.#o.commit === 'delivered') {
      this.#handover(consumer, generation, before, now, pending, alone).catch((err: unknown) => {
        this.logger.warn(`handover after the rebalance failed: ${describe(err)}`);
      });
    }
  }

  /**
   * After a rebalance: commits what was delivered but could not be committed
   * while the group rebalanced, and holds partitions whose committed offset
   * may still move (they moved here from another member, or this member owes
   * them a commit) until that is settled; then reads them from the committed
   * offset.
   */
  async #handover(
    consumer: Consumer,
    generation: number,
    before: Map<string, Set<number>>,
    now: Map<string, Set<number>>,
    pending: PendingCommit[],
    alone: boolean,
  ): Promise<void> {
    const owed = new Set(pending.map((c) => `${c.partition}\u0000${c.topic}`));
    const hold: { topic: string; partition: number }[] = [];
    let movedIn = false;
    for (const [topic, parts] of now) {
      for (const partition of parts) {
        const had = before.get(topic)?.has(partition) === true;
        const wait = !had && !alone && this.#o.handoverDelay > 0;
        if (wait || owed.has(`${partition}\u0000${topic}`)) hold.push({ topic, partition });
        movedIn ||= wait;
      }
    }
    if (hold.length === 0 && pending.length === 0) return;
    for (const h of hold) this.#pauses.hold(h.topic, h.partition);
    if (hold.length > 0) this.#stats.handovers++;
    try {
      if (pending.length > 0) {
        await this.#whenFetching();
        try {
          await consumer.commitOffsets(pending.map((c) => ({ ...c })));
          this.#stats.commits++;
        } catch (err) {
          this.#stats.commitErrors++;
          this.#owed = pending;
          this.logger.warn(
            `committing ${pending.length} offsets owed from before the rebalance failed (${describe(err)}); trying again at the next join`,
          );
        }
      }
      if (movedIn) await this.#sleep(this.#o.handoverDelay);
      if (generation !== this.#generation || hold.length === 0) return;
      await this.#seekCommitted(consumer, hold);
    } finally {
      if (generation === this.#generation)
        for (const h of hold) this.#pauses.release(h.topic, h.partition);
    }
  }

  /** Points the fetch position of `parts` at their committed offsets. */
  async #seekCommitted(
    consumer: Consumer,
    parts: { topic: string; partition: number }[],
  ): Promise<void> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      return admin;
    })();
    const admin = await this.#admin;
    const topics = [...new Set(parts.map((p) => p.topic))];
    const offsets = await admin.fetchOffsets({ groupId: this.#o.groupId, topics });
    for (const { topic, partitions } of offsets) {
      for (const { partition, offset } of partitions) {
        if (
          BigInt(offset) < 0n ||
          !parts.some((p) => p.topic === topic && p.partition === partition)
        )
          continue;
        consumer.seek({ topic, partition, offset });
      }
    }
  }

  async #disconnect(consumer: Consumer): Promise<void> {
    try {
      await consumer.disconnect();
    } catch (err) {
      this.logger.warn(`disconnecting the consumer failed: ${describe(err)}`);
    }
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  /** Resolves once the consumer fetches (at once when it does), or at exit. */
  #whenFetching(): Promise<void> {
    if (this.#fetching || this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.#fetchWaiters.push(done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  async #closeAdmin(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin === undefined) return;
    try {
      await (await admin).disconnect();
    } catch {
      // It never connected: nothing to close.
    }
  }
}
