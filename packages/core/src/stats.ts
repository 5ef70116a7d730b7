/** Why a message was dropped; the label of the `dropped` counters. */
export type DropReason =
  'destination-drop' | 'retries-exhausted' | 'queue-full' | 'shutdown' | 'filtered' | 'error';

/** Counters of one component, labelled by its persist name. */
export interface ComponentStats {
  readonly kind: 'source' | 'destination';
  /** The component's name in the config. */
  readonly name: string;
  readonly persistName: string;
  /** Messages that reached the component: posted by a source, enqueued to a destination. */
  readonly received: number;
  /** Sources: messages posted into log paths. */
  readonly posted: number;
  /** Destinations: messages waiting in the queue, including an unacknowledged batch (gauge). */
  readonly queued: number;
  /** Destinations: messages delivered (acknowledged by SUCCESS). */
  readonly delivered: number;
  /** Messages dropped, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** Destinations: messages resent after ERROR, RETRY or NOT_CONNECTED (each resend of a batch counts its messages). */
  readonly retried: number;
  /** Destinations: messages handed to the fallback destination instead of being dropped. */
  readonly fallback: number;
  /** 1 while suspended (sources: window full; destinations: waiting to reopen), else 0. */
  readonly suspended: number;
  /** Approximate bytes of the messages received (posted, for sources; enqueued, for destinations). */
  readonly bytes: number;
  /** Plugin errors (exceptions, failed opens, `run()` crashes). */
  readonly errors: number;
}

/** Mutable counters behind {@link ComponentStats}. @internal */
export class Counters {
  received = 0;
  posted = 0;
  queued = 0;
  delivered = 0;
  retried = 0;
  fallback = 0;
  suspended = 0;
  bytes = 0;
  errors = 0;
  readonly dropped: Partial<Record<DropReason, number>> = {};

  constructor(
    readonly kind: 'source' | 'destination',
    readonly name: string,
    readonly persistName: string,
  ) {}

  drop(reason: DropReason, n = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
  }

  get droppedTotal(): number {
    let n = 0;
    for (const v of Object.values(this.dropped)) n += v;
    return n;
  }

  snapshot(): ComponentStats {
    return {
      kind: this.kind,
      name: this.name,
      persistName: this.persistName,
      received: this.received,
      posted: this.posted,
      queued: this.queued,
      delivered: this.delivered,
      dropped: { ...this.dropped },
      retried: this.retried,
      fallback: this.fallback,
      suspended: this.suspended,
      bytes: this.bytes,
      errors: this.errors,
    };
  }
}
