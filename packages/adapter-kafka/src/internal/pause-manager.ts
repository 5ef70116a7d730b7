/** Partitions of one topic; without `partitions`, all of them. */
export interface TopicSelection {
  topic: string;
  partitions?: number[];
}

/** The part of a kafkajs consumer that pausing needs. */
export interface Pausable {
  pause(topics: TopicSelection[]): void;
  resume(topics: TopicSelection[]): void;
}

/**
 * Keeps two reasons to pause apart: flow control (the source's window is
 * full: every assigned topic is paused) and handover (single partitions held
 * after a rebalance). kafkajs' `resume({ topic })` clears every pause of the
 * topic, so resuming the flow re-applies the held partitions. Pausing never
 * throws: between a consumer crash and its restart kafkajs refuses it, and
 * {@link reapply} runs again after the next join.
 */
export class PauseManager {
  #consumer: Pausable | undefined;
  #topics: string[] = [];
  #flow = false;
  readonly #held = new Map<string, Set<number>>();
  /** Times the flow was paused. */
  flowPauses = 0;

  /** The consumer calls go to (a new one after `run()` restarts). */
  attach(consumer: Pausable | undefined): void {
    this.#consumer = consumer;
  }

  /** True while the flow is paused (the window is full). */
  get flowPaused(): boolean {
    return this.#flow;
  }

  /**
   * The topics assigned after a join: holds of the previous generation end
   * (kafkajs keeps pauses across joins, so they are resumed here), and the
   * flow pause is applied to the new topics.
   */
  setTopics(topics: string[]): void {
    const stale = [...this.#held];
    this.#held.clear();
    this.#topics = topics;
    if (!this.#flow) {
      for (const [topic, set] of stale) this.#call('resume', [{ topic, partitions: [...set] }]);
    }
    this.reapply();
  }

  /** Pauses every assigned topic; false when it already was. */
  pauseFlow(): boolean {
    if (this.#flow) return false;
    this.#flow = true;
    this.flowPauses++;
    this.#call(
      'pause',
      this.#topics.map((topic) => ({ topic })),
    );
    return true;
  }

  /** Resumes the topics paused by {@link pauseFlow}; held partitions stay paused. */
  resumeFlow(): void {
    if (!this.#flow) return;
    this.#flow = false;
    this.#call(
      'resume',
      this.#topics.map((topic) => ({ topic })),
    );
    this.#pauseHeld();
  }

  /** Pauses one partition until {@link release}. */
  hold(topic: string, partition: number): void {
    let set = this.#held.get(topic);
    if (set === undefined) this.#held.set(topic, (set = new Set()));
    set.add(partition);
    if (!this.#flow) this.#call('pause', [{ topic, partitions: [partition] }]);
  }

  /** Ends a {@link hold}; the partition stays paused while the flow is. */
  release(topic: string, partition: number): void {
    const set = this.#held.get(topic);
    if (set === undefined || !set.delete(partition)) return;
    if (set.size === 0) this.#held.delete(topic);
    if (!this.#flow) this.#call('resume', [{ topic, partitions: [partition] }]);
  }

  /** True while `partition` is held. */
  isHeld(topic: string, partition: number): boolean {
    return this.#held.get(topic)?.has(partition) === true;
  }

  /** Pauses again whatever should be paused (after a join, or a restarted consumer). */
  reapply(): void {
    if (this.#flow)
      this.#call(
        'pause',
        this.#topics.map((topic) => ({ topic })),
      );
    else this.#pauseHeld();
  }

  #pauseHeld(): void {
    for (const [topic, set] of this.#held) this.#call('pause', [{ topic, partitions: [...set] }]);
  }

  #call(what: 'pause' | 'resume', topics: TopicSelection[]): void {
    if (topics.length === 0 || this.#consumer === undefined) return;
    try {
      this.#consumer[what](topics);
    } catch {
      // No consumer group right now (a restart): reapply() runs after the next join.
    }
  }
}
