/**
 * A WebSocket client for a WebSocketSource with `format: 'json'` and
 * `ack: 'message'`: it keeps every message until the server acknowledges it,
 * reconnects when the connection drops, and resends what was not
 * acknowledged. That is at-least-once delivery end to end (a message in flight
 * when the connection drops may arrive twice; its `id` lets the receiver tell).
 */
import WebSocket from 'ws';

/** What the client counted so far. */
export interface ClientStats {
  /** Frames sent, resends included. */
  sent: number;
  acked: number;
  /** Frames sent again after a reconnect because they were not acknowledged. */
  resent: number;
  refused: number;
  connects: number;
}

export class ResendingClient {
  readonly stats: ClientStats = { sent: 0, acked: 0, resent: 0, refused: 0, connects: 0 };
  /** id → frame, until acknowledged. A Map keeps insertion order, so resends keep the order. */
  readonly #pending = new Map<number, string>();
  /** Ids sent at least once: sending one of them again counts as a resend. */
  readonly #sentOnce = new Set<number>();
  readonly #url: string;
  readonly #reconnectMs: number;
  #ws: WebSocket | undefined;
  #nextId = 1;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];

  constructor(url: string, reconnectMs = 200) {
    this.#url = url;
    this.#reconnectMs = reconnectMs;
    this.#connect();
  }

  /** Messages sent (or waiting to be) and not acknowledged yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Queues one message; it is sent now if connected, else after the next connect. */
  log(message: string, fields: Record<string, unknown> = {}): number {
    const id = this.#nextId++;
    const frame = JSON.stringify({ ...fields, id, message });
    this.#pending.set(id, frame);
    if (this.#ws?.readyState === WebSocket.OPEN) this.#send(this.#ws, id, frame);
    return id;
  }

  /** Resolves once every message logged so far is acknowledged (or refused for good). */
  drained(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Closes the connection and stops reconnecting; unacknowledged messages are forgotten. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close();
  }

  #send(ws: WebSocket, id: number, frame: string): void {
    ws.send(frame);
    this.stats.sent++;
    if (this.#sentOnce.has(id)) this.stats.resent++;
    else this.#sentOnce.add(id);
  }

  #connect(): void {
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.on('open', () => {
      this.stats.connects++;
      // Resend, in order, what the previous connection did not get acknowledged.
      for (const [id, frame] of this.#pending) this.#send(ws, id, frame);
    });
    // The server's replies are text frames: `ws` hands them over as one Buffer.
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8')) as {
        ack?: number;
        nack?: number;
        retry?: boolean;
        reason?: string;
      };
      if (reply.ack !== undefined) {
        if (this.#pending.delete(reply.ack)) this.stats.acked++;
      } else if (reply.nack !== undefined && reply.retry === false) {
        // Refused for good (malformed, or dropped by a destination): resending would fail again.
        this.#pending.delete(reply.nack);
        this.stats.refused++;
        console.error(`message ${reply.nack} refused: ${reply.reason ?? ''}`);
      } // a nack with retry: true stays pending and is resent after the reconnect
      if (this.#pending.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
    ws.on('close', () => {
      if (!this.#closed) this.#timer = setTimeout(() => this.#connect(), this.#reconnectMs);
    });
    ws.on('error', () => {}); // 'close' follows every error
  }
}
