import {
  PartitionAssigners,
  type Consumer,
  type IMemberAssignment,
  type PartitionAssigner,
} from 'kafkajs';

/** What a join tells the source. */
export interface GroupAssignment {
  readonly memberId: string;
  readonly isLeader: boolean;
  readonly memberAssignment: IMemberAssignment;
}

/** The consumer events the source acts on. */
export interface ConsumerEventHandlers {
  /** Called synchronously inside kafkajs' join, before it fetches anything for the new assignment. */
  join(assignment: GroupAssignment): void;
  rebalancing(): void;
  /** A fetch starts: from then on the consumer runs (kafkajs ignores commits before that). */
  fetchStart(): void;
  /** `restart`: kafkajs restarts the consumer itself; otherwise it is gone. */
  crash(error: Error, restart: boolean): void;
}

/** Subscribes handlers to a kafkajs consumer's instrumentation events; `remove()` unsubscribes. */
export class ConsumerEvents {
  readonly #off: (() => void)[];

  constructor(consumer: Consumer, h: ConsumerEventHandlers) {
    const { GROUP_JOIN, REBALANCING, CRASH, FETCH_START } = consumer.events;
    this.#off = [
      consumer.on(GROUP_JOIN, (e) => h.join(e.payload)),
      consumer.on(REBALANCING, () => h.rebalancing()),
      consumer.on(CRASH, (e) => h.crash(e.payload.error, e.payload.restart)),
      consumer.on(FETCH_START, () => h.fetchStart()),
    ];
  }

  remove(): void {
    for (const off of this.#off) off();
  }

  /**
   * kafkajs' round-robin assigner (same protocol name, so mixed groups still
   * agree), reporting the group size to `seen` when this member leads the
   * assignment: a member alone in its group needs no handover wait.
   */
  static countingAssigner(seen: (members: number) => void): PartitionAssigner {
    return (config) => {
      const inner = PartitionAssigners.roundRobin(config);
      return {
        name: inner.name,
        version: inner.version,
        protocol: (subscription) => inner.protocol(subscription),
        assign: (group) => {
          seen(group.members.length);
          return inner.assign(group);
        },
      };
    };
  }
}
