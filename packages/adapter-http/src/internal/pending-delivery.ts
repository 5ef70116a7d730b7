import type { ServerResponse } from 'node:http';
import type { AckStatus } from '@logpath/core';

/** What every pending request shares: set once per source. */
export interface DeliveryContext {
  readonly timeoutMs: number;
  /** Writes the answer of `p` (called once per request). */
  answer(p: PendingDelivery, status: number, json: string): void;
}

/**
 * One request waiting for its messages to be acknowledged (`respond:
 * 'delivered'`). It is the bookmark of each of its messages, so an ack finds
 * its request without a lookup; it answers once, when the last ack arrives or
 * at the deadline.
 */
export class PendingDelivery {
  remaining: number;
  delivered = 0;
  dropped = 0;
  aborted = 0;
  #timer: NodeJS.Timeout | undefined;
  #answered = false;

  constructor(
    readonly res: ServerResponse,
    readonly total: number,
    readonly ctx: DeliveryContext,
  ) {
    this.remaining = total;
  }

  /** Arms the deadline; call before posting, since acks may come synchronously. */
  start(): void {
    if (this.total === 0) {
      this.#answer(200, `{"delivered":0}`);
      return;
    }
    this.#timer = setTimeout(this.#onTimeout, this.ctx.timeoutMs);
  }

  /** Called by the ack tracker for each message of the request. */
  ack(status: AckStatus): void {
    if (status === 'delivered') this.delivered++;
    else if (status === 'dropped') this.dropped++;
    else this.aborted++;
    if (--this.remaining > 0) return;
    clearTimeout(this.#timer);
    if (this.dropped > 0) {
      this.#answer(
        500,
        this.#report(`${this.dropped} of ${this.total} messages were dropped by a destination`),
      );
    } else if (this.aborted > 0) {
      this.#answer(
        503,
        this.#report(
          `the pipeline stopped before ${this.aborted} of ${this.total} messages were delivered; send them again`,
        ),
      );
    } else {
      this.#answer(200, `{"delivered":${this.total}}`);
    }
  }

  /** Gives up waiting: the source is stopping and cannot wait any longer. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#answer(
      503,
      this.#report('the source stopped before every message was delivered; they may still be'),
    );
  }

  readonly #onTimeout = (): void => {
    this.#answer(
      504,
      this.#report(
        `not every message was delivered within deliveryTimeout (${this.ctx.timeoutMs} ms); they may still be`,
      ),
    );
  };

  #report(error: string): string {
    const { delivered, dropped, aborted, remaining } = this;
    return JSON.stringify({ error, delivered, dropped, aborted, pending: remaining });
  }

  #answer(status: number, json: string): void {
    if (this.#answered) return;
    this.#answered = true;
    this.ctx.answer(this, status, json);
  }
}
