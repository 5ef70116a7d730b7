/**
 * The client side of WebSocketDestination: one connection, the frames sent on
 * it, and the server's frame acknowledgements. One outcome (one promise) per
 * batch of frames, never per message.
 */
import { WebSocket, type ClientOptions, type RawData } from 'ws';

/** How a batch of frames ended. */
export type BatchOutcome =
  | { kind: 'acked' }
  | { kind: 'written' }
  /** The server refused or dropped it; `retry` tells whether resending may help. */
  | { kind: 'nacked'; retry: boolean; reason: string }
  /** The connection closed first; `code` is the close code when the server sent one. */
  | { kind: 'closed'; code: number; reason: string }
  | { kind: 'timeout' };

interface Waiter {
  from: number;
  to: number;
  remaining: number;
  nack: { retry: boolean; reason: string } | undefined;
  resolve: (o: BatchOutcome) => void;
}

export class WsLink {
  #ws: WebSocket | undefined;
  /** Data frames sent on the current connection; the server numbers them the same way. */
  #seq = 0;
  #waiter: Waiter | undefined;
  #warnedPerMessage = false;
  readonly #onWarn: (message: string) => void;

  constructor(onWarn: (message: string) => void) {
    this.#onWarn = onWarn;
  }

  get connected(): boolean {
    return this.#ws !== undefined && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Opens a connection; resolves with undefined on success, else with what went wrong. */
  connect(url: string, options: ClientOptions): Promise<string | undefined> {
    this.close();
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, options);
      } catch (err) {
        resolve(err instanceof Error ? err.message : String(err));
        return;
      }
      let settled = false;
      const done = (why: string | undefined): void => {
        if (settled) return;
        settled = true;
        resolve(why);
      };
      ws.on('error', (err) => done(err.message));
      ws.once('unexpected-response', (req, res) => {
        done(`the server answered HTTP ${res.statusCode ?? '?'} to the upgrade`);
        req.destroy();
      });
      ws.once('close', (code, reason) => {
        done(`closed during the handshake (${code})`);
        this.#onClose(ws, code, reason.toString());
      });
      ws.once('open', () => {
        this.#ws = ws;
        this.#seq = 0;
        ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
        done(undefined);
      });
    });
  }

  /**
   * Sends `frames`; with `ack` waits for the server's reply to each (bounded
   * by `ackTimeout`), else until the last one is written to the socket.
   */
  send(frames: readonly string[], ack: boolean, ackTimeout: number): Promise<BatchOutcome> {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ kind: 'closed', code: 1006, reason: 'not connected' });
    }
    return new Promise((resolve) => {
      const n = frames.length;
      if (!ack) {
        for (let i = 0; i < n - 1; i++) ws.send(frames[i]!);
        ws.send(frames[n - 1]!, (err) =>
          resolve(err ? { kind: 'closed', code: 1006, reason: err.message } : { kind: 'written' }),
        );
        return;
      }
      const timer = setTimeout(() => this.#finish({ kind: 'timeout' }), ackTimeout);
      this.#waiter = {
        from: this.#seq + 1,
        to: this.#seq + n,
        remaining: n,
        nack: undefined,
        resolve: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      for (let i = 0; i < n; i++) ws.send(frames[i]!);
      this.#seq += n;
    });
  }

  /** Closes the connection; a batch waiting for acks ends as `closed`. */
  close(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined) {
      ws.removeAllListeners('message');
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)
        ws.close(1000);
      // A peer that never completes the handshake must not keep the socket.
      setTimeout(() => ws.terminate(), 2000).unref();
    }
    this.#finish({ kind: 'closed', code: 1000, reason: 'closed by the destination' });
  }

  #finish(o: BatchOutcome): void {
    const w = this.#waiter;
    if (w === undefined) return;
    this.#waiter = undefined;
    w.resolve(o);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    this.#finish({ kind: 'closed', code, reason });
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let reply: unknown;
    try {
      reply = JSON.parse(
        (Buffer.isBuffer(data)
          ? data
          : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
        ).toString('utf8'),
      );
    } catch {
      return; // not a reply
    }
    if (typeof reply !== 'object' || reply === null) return;
    const r = reply as {
      frame?: unknown;
      nack?: unknown;
      ack?: unknown;
      reason?: unknown;
      retry?: unknown;
    };
    if (typeof r.frame !== 'number') {
      if (('ack' in r || 'nack' in r) && !this.#warnedPerMessage) {
        this.#warnedPerMessage = true;
        this.#onWarn(
          'the server acknowledges messages by id; WebSocketDestination counts frames: set the WebSocketSource option ack to "batch"',
        );
      }
      return;
    }
    const w = this.#waiter;
    if (w === undefined || r.frame < w.from || r.frame > w.to) return; // late reply of an abandoned batch
    if ('nack' in r) {
      const retry = r.retry !== false;
      // A final refusal outweighs a retryable one.
      if (w.nack === undefined || !retry)
        w.nack = { retry, reason: typeof r.reason === 'string' ? r.reason : 'refused' };
    }
    if (--w.remaining === 0)
      this.#finish(w.nack ? { kind: 'nacked', ...w.nack } : { kind: 'acked' });
  }
}
