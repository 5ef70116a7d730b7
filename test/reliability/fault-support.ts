/**
 * Shared pieces of the fault scenarios: a source that posts numbered
 * messages at a steady rate (honouring the window), and an HTTP receiver
 * that tallies the numbers it gets and can be stopped and started again on
 * the same port.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogMessage, LogSource } from '@logpath/core';

/** Options of {@link PacedSource}. */
export interface PacedSourceOptions {
  /** Messages per second. */
  rate: number;
  /** Shared with the test: `posted` is what the pipeline accepted; set `on` false to stop. */
  state: { on: boolean; posted: number; waits: number };
}

/** Posts `<n> <padding>` messages (n = 0, 1, 2, …) at `rate` while `state.on`. */
export class PacedSource extends LogSource<PacedSourceOptions> {
  #rate = 0;
  #state!: PacedSourceOptions['state'];

  override init(o: PacedSourceOptions): void {
    this.#rate = o.rate;
    this.#state = o.state;
  }

  override async run(): Promise<void> {
    const s = this.#state;
    const start = performance.now();
    while (s.on && !this.signal.aborted) {
      const due = Math.floor(((performance.now() - start) * this.#rate) / 1000) - s.posted;
      for (let i = 0; i < due && s.on; i++) {
        if (!this.postMessage(new LogMessage(`${s.posted++} payload`))) {
          s.waits++;
          await this.waitForWindow(); // the backlog stays with the "sender": it is offered later
        }
      }
      await sleep(10);
    }
  }
}

/** Counts arrivals of numbered messages, and how often each arrived. */
export class Tally {
  readonly #count = new Map<number, number>();
  arrivals = 0;

  add(seq: number): void {
    this.arrivals++;
    this.#count.set(seq, (this.#count.get(seq) ?? 0) + 1);
  }

  get distinct(): number {
    return this.#count.size;
  }

  get duplicated(): number {
    return this.arrivals - this.#count.size;
  }

  /** Numbers in [0, n) that never arrived. */
  missingBelow(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (!this.#count.has(i)) out.push(i);
    return out;
  }

  has(seq: number): boolean {
    return this.#count.has(seq);
  }
}

/** The number at the start of a line, or of its MESSAGE when the line is NDJSON. */
export function seqOf(line: string): number {
  const text = line.startsWith('{')
    ? String((JSON.parse(line) as { MESSAGE?: unknown }).MESSAGE)
    : line;
  return Number.parseInt(text, 10);
}

/**
 * An HTTP server that reads NDJSON bodies (or plain lines) and adds each
 * line's number to `tally`; `delayMs` holds each answer that long (a slow
 * receiver). `stop()` closes it and cuts its connections; `start()` listens
 * again on the port it had.
 */
export class Receiver {
  readonly tally = new Tally();
  requests = 0;
  port = 0;
  delayMs = 0;
  #server: Server | undefined;

  async start(): Promise<number> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.delayMs > 0) await sleep(this.delayMs);
    this.requests++;
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      if (line !== '') this.tally.add(seqOf(line));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }
}
