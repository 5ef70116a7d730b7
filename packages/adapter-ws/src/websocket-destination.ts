import { LogDestination, type LogMessage, type SendResult } from '@logpath/core';
import {
  resolveDestinationOptions,
  type DestinationConfig,
  type WebSocketDestinationOptions,
} from './internal/destination-options.js';
import { WsLink, type BatchOutcome } from './internal/ws-link.js';

export {
  DEFAULT_WEBSOCKET_DESTINATION_OPTIONS,
  type WebSocketDestinationOptions,
  type WebSocketClientAuth,
  type WebSocketClientTlsOptions,
} from './internal/destination-options.js';

/** Close codes by which a server refuses the data itself: resending it cannot help. */
const REFUSED_CODES = new Set([1003, 1007, 1009]);

/**
 * Sends messages to a WebSocket server: one message per frame, or each batch
 * (`batchLines`, `batchBytes`, `batchTimeout`) as one NDJSON frame. Each
 * message is written as JSON (`msg.toJSON()`) or with `template`.
 *
 * Results: SUCCESS once the batch is written to the socket, or — with `ack` —
 * once the server acknowledged every frame of it (a WebSocketSource with
 * `ack: 'batch'`), which gives at-least-once delivery between two pipelines.
 * NOT_CONNECTED while the server is unreachable or the connection dropped
 * (reconnects back off from `reconnectDelay` to `reconnectMaxDelay`) or when
 * acks are late; ERROR on a retryable nack; DROP when the server refuses the
 * data itself (a final nack, or close code 1003, 1007 or 1009).
 *
 * @example
 * destinations: { next: { class: WebSocketDestination, options: { url: 'ws://collector:8081/', frame: 'batch', ack: true } } }
 */
export class WebSocketDestination extends LogDestination<WebSocketDestinationOptions> {
  #cfg: DestinationConfig | undefined;
  #link: WsLink | undefined;
  #batch: string[] = [];
  #failures = 0;
  #nextAttempt = 0;
  #lastError = '';

  /**
   * Validates the options.
   * @throws ConfigError (ERR_INVALID_OPTION) naming every invalid option.
   */
  override init(options: WebSocketDestinationOptions): void {
    this.#cfg = resolveDestinationOptions(options);
    this.#link = new WsLink((m) => this.logger.warn(m));
  }

  /** Connects, unless the reconnect backoff has not elapsed yet (then false: the driver retries after `timeReopen`). */
  override async open(): Promise<boolean> {
    const cfg = this.#cfg!;
    const link = this.#link!;
    if (link.connected) return true;
    if (Date.now() < this.#nextAttempt) return false;
    const error = await link.connect(cfg.url, cfg.client);
    if (error === undefined) {
      if (this.#failures > 0)
        this.logger.info(`connected to ${cfg.url} after ${this.#failures} failed attempts`);
      this.#failures = 0;
      this.#lastError = '';
      return true;
    }
    this.#failures++;
    const delay = Math.min(
      cfg.reconnectMaxDelay,
      cfg.reconnectDelay * 2 ** Math.min(this.#failures - 1, 30),
    );
    // Jitter spreads the reconnects of many senders after a server restart.
    this.#nextAttempt = Date.now() + Math.round(delay * (0.5 + Math.random() / 2));
    const line = `cannot connect to ${cfg.url}: ${error}`;
    if (line !== this.#lastError) this.logger.warn(line);
    this.#lastError = line;
    return false;
  }

  override isOpened(): boolean {
    return this.#link?.connected ?? false;
  }

  override close(): void {
    this.#batch = [];
    this.#link?.close();
  }

  /** Adds the message to the batch; NOT_CONNECTED while the connection is down. */
  override send(msg: LogMessage): SendResult {
    if (!this.#link!.connected) {
      this.#batch = [];
      return this.NOT_CONNECTED;
    }
    const t = this.#cfg!.template;
    this.#batch.push(t === undefined ? JSON.stringify(msg.toJSON()) : msg.format(t));
    return this.QUEUED;
  }

  /** Writes the batch and reports how it ended (see the class description). */
  override async flush(): Promise<SendResult> {
    const lines = this.#batch;
    this.#batch = [];
    if (lines.length === 0) return this.SUCCESS;
    const cfg = this.#cfg!;
    const frames = cfg.frame === 'message' ? lines : ndjsonFrames(lines, cfg.maxFrameBytes);
    const outcome = await this.#link!.send(frames, cfg.ack, cfg.ackTimeout);
    return this.#result(outcome, lines.length);
  }

  #result(o: BatchOutcome, n: number): SendResult {
    switch (o.kind) {
      case 'acked':
      case 'written':
        return this.SUCCESS;
      case 'nacked':
        if (o.retry) {
          this.logger.warn(
            `the server did not deliver a batch of ${n} (${o.reason}); resending it`,
          );
          return this.ERROR;
        }
        this.logger.error(`the server refused a batch of ${n}: ${o.reason}`);
        return this.DROP;
      case 'closed':
        if (REFUSED_CODES.has(o.code)) {
          this.logger.error(
            `the server refused a batch of ${n} and closed the connection (${o.code} ${o.reason})`,
          );
          return this.DROP;
        }
        this.logger.warn(
          `connection to ${this.#cfg!.url} lost (${o.code}${o.reason ? ` ${o.reason}` : ''}); resending ${n} messages after reconnecting`,
        );
        return this.NOT_CONNECTED;
      case 'timeout':
        this.logger.warn(
          `no acknowledgement within ${this.#cfg!.ackTimeout} ms; reconnecting and resending ${n} messages`,
        );
        return this.NOT_CONNECTED;
    }
  }
}

/** Joins lines into NDJSON frames of at most `max` bytes (a longer line goes alone). */
function ndjsonFrames(lines: readonly string[], max: number): string[] {
  const frames: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const b = Buffer.byteLength(lines[i]!) + 1;
    if (bytes > 0 && bytes + b - 1 > max) {
      frames.push(lines.slice(start, i).join('\n'));
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  frames.push(lines.slice(start).join('\n'));
  return frames;
}
