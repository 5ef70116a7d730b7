/**
 * Shared pieces of the adapter overload scenarios: a slow batching
 * destination that tallies arrivals by sequence number, an RSS sampler, a
 * pacer that offers work at a fixed rate, and an HTTP body poster. Each message's MESSAGE starts
 * with its sequence number (`<seq> <padding>`), whatever transport carried it.
 */
import { request, type Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogDestination, type LogMessage } from '@logpath/core';

// One RSS sampler for every reliability scenario (sampled every 20 ms).
export { mib, RssSampler } from './hostile-net-support.js';

/** How long the load runs: LOGPATH_SOAK_MS (30000 in `npm run reliability:report`), default 4 s. */
export const LOAD_MS = Number(process.env.LOGPATH_SOAK_MS ?? 4000);
/** The slow destination takes a batch of DEST_BATCH messages per DEST_DELAY_MS: 2000 msg/s. */
export const DEST_BATCH = 50;
export const DEST_DELAY_MS = 25;
export const DEST_RATE = (DEST_BATCH * 1000) / DEST_DELAY_MS;
/** What the senders offer: ten times what the destination takes. */
export const OFFER_RATE = 10 * DEST_RATE;
/** Bytes of padding after the sequence number of each message. */
export const PAYLOAD_BYTES = 256;
export const MiB = 1024 * 1024;

/** The text of message `seq`: its number, a space, and `padding` bytes (default PAYLOAD_BYTES). */
export function line(seq: number, padding = PAYLOAD_BYTES): string {
  return `${seq} ${'x'.repeat(padding)}`;
}

/** Counts arrivals per sequence number, without keeping the messages. */
export class Arrivals {
  #seen = new Uint8Array(1 << 16);
  delivered = 0;
  duplicated = 0;
  /** Arrivals whose MESSAGE did not start with a sequence number. */
  unreadable = 0;

  arrived(seq: number): void {
    if (!Number.isInteger(seq) || seq < 0) {
      this.unreadable++;
      return;
    }
    if (seq >= this.#seen.length) {
      const grown = new Uint8Array(Math.max(seq + 1, this.#seen.length * 2));
      grown.set(this.#seen);
      this.#seen = grown;
    }
    if (this.#seen[seq] === 0) {
      this.#seen[seq] = 1;
      this.delivered++;
    } else {
      this.duplicated++;
    }
  }

  /** How many of the sequence numbers in `accepted` never arrived. */
  missing(accepted: Iterable<number>): number {
    let n = 0;
    for (const seq of accepted) if (this.#seen[seq] !== 1) n++;
    return n;
  }
}

/** The destination's speed: `delayMs` per batch; set to 0 once the load stops, to drain fast. */
export interface Pace {
  delayMs: number;
}

/** Batches messages and "writes" each batch in `pace.delayMs`; tallies what a flush completed. */
export class SlowSink extends LogDestination<{ arrivals: Arrivals; pace: Pace }> {
  #arrivals!: Arrivals;
  #pace!: Pace;
  #batch: number[] = [];

  override init(o: { arrivals: Arrivals; pace: Pace }): void {
    this.#arrivals = o.arrivals;
    this.#pace = o.pace;
  }

  override send(msg: LogMessage): 4 {
    const text = msg.getAsString('MESSAGE') ?? '';
    this.#batch.push(Number.parseInt(text.slice(0, text.indexOf(' ')), 10));
    return this.QUEUED;
  }

  override async flush(): Promise<3> {
    if (this.#pace.delayMs > 0) await sleep(this.#pace.delayMs);
    for (const seq of this.#batch) this.#arrivals.arrived(seq);
    this.#batch = [];
    return this.SUCCESS;
  }

  override close(): void {
    this.#batch = []; // the runtime resends what was not flushed
  }
}

/**
 * Calls `offer()` as often as `rate` per second allows (each call offers
 * `perCall` messages) until `until()` is false; `offer` returns false when it
 * cannot take more right now (too many in flight), which skips the rest of
 * this turn rather than piling the work up.
 */
export async function pace(
  rate: number,
  perCall: number,
  until: () => boolean,
  offer: () => boolean,
): Promise<void> {
  const start = performance.now();
  let calls = 0;
  while (until()) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000 / perCall) - calls;
    for (let i = 0; i < due; i++) {
      calls++;
      if (!offer()) {
        calls += due - i - 1; // an offer refused by the sender itself is not made up later
        break;
      }
    }
    await sleep(5);
  }
}

/** Waits, polling, until `done()` or `timeoutMs`; returns the milliseconds waited. */
export async function settle(done: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!done() && performance.now() - t0 < timeoutMs) await sleep(20);
  return performance.now() - t0;
}

/**
 * POSTs `body` as text/plain; resolves with the status, or 0 when the
 * connection failed or was reset (the caller retries the body).
 */
export function postText(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'text/plain' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
