/**
 * One client connection of a WebSocketSource: turns its frames into posted
 * batches, owes it acknowledgements, and is paused with the source. Work is
 * per frame; per message there is a loop over the connection's fields and a
 * post — no closure, promise or timer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogMessage, type AckStatus, type LogValue, type Logger } from '@logpath/core';
import { WebSocket, type RawData } from 'ws';
import {
  FRAME_REJECTED,
  FrameAck,
  MessageAck,
  NO_ACK,
  encodeFrameReply,
  encodeMessageReply,
  type AckSink,
} from './ack-protocol.js';
import { ParsedFrame, parseFrame } from './frame-parser.js';
import type { SourceConfig } from './source-options.js';

/** What a connection needs from its source. */
export interface ConnectionHost {
  readonly cfg: SourceConfig;
  readonly logger: Logger;
  /** TRANSPORT as the source sets it on every message. */
  readonly transport: string;
  post(msg: LogMessage): boolean;
  postMany(msgs: readonly LogMessage[]): boolean;
  closeBatch(): void;
  /** A connection has closed (for whatever reason). */
  closed(conn: Connection): void;
  /** A closing connection owes no more replies. */
  settledAll(conn: Connection): void;
}

/** Close codes used by the source. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_UNSUPPORTED = 1003;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;

const MAX_QUERY_FIELDS = 100;
/** One frame buffer for the whole process: frames are handled one at a time. */
const scratch = new ParsedFrame();

/** Close reasons are limited to 123 bytes of UTF-8. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let s = reason.slice(0, 120);
  while (Buffer.byteLength(s) > 120) s = s.slice(0, -1);
  return `${s}…`;
}

function remoteIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class Connection implements AckSink {
  readonly id = randomUUID();
  readonly ip: string;
  /** Per-connection fields set on every message, as parallel arrays. */
  readonly #names: string[] = [];
  readonly #values: LogValue[] = [];
  /**
   * The same fields on one message (and TRANSPORT last, as the runtime sets
   * it): JSON messages are made from it instead of getting each field set.
   */
  readonly #template = new LogMessage();
  readonly #host: ConnectionHost;
  readonly #cfg: SourceConfig;
  /** Format text without acks: the fast path. */
  readonly #plainText: boolean;
  /** Data frames received so far; the number of the last one. */
  #frames = 0;
  /** Frames acknowledged as a whole, answered in order from #head. */
  #queue: FrameAck[] = [];
  #head = 0;
  /** Replies still owed (frames and id'd messages not yet settled). */
  owed = 0;
  /** Heartbeat round of the oldest unanswered ping; 0 when none. */
  awaitingPong = 0;
  paused = false;
  /** Set once the server started closing: later frames are not read. */
  closing = false;
  isClosed = false;

  constructor(
    readonly ws: WebSocket,
    req: IncomingMessage,
    query: URLSearchParams,
    host: ConnectionHost,
  ) {
    this.#host = host;
    const cfg = host.cfg;
    this.#cfg = cfg;
    this.#plainText = cfg.format === 'text' && cfg.ack === 'none';
    this.ip = remoteIp(req);
    this.#field('WS.CONNECTION_ID', this.id);
    this.#field('SOURCEIP', this.ip);
    if (req.socket.remotePort !== undefined) this.#field('SOURCEPORT', req.socket.remotePort);
    for (const h of cfg.headers) {
      // Own keys only: a name such as `constructor` would read Object.prototype's member.
      const v = Object.hasOwn(req.headers, h) ? req.headers[h] : undefined;
      if (v !== undefined) this.#field(`WS.HEADERS.${h}`, Array.isArray(v) ? v.join(', ') : v);
    }
    const skip = cfg.auth?.queryParam;
    let n = 0;
    for (const key of new Set(query.keys())) {
      if (key === skip) continue; // never copy a credential into the data
      if (++n > MAX_QUERY_FIELDS) break;
      const all = query.getAll(key);
      this.#field(`WS.QUERY.${key}`, all.length === 1 ? all[0]! : all);
    }
    this.#stamp(this.#template);
    this.#template.set('TRANSPORT', host.transport);
    ws.on('message', this.#onMessage);
    ws.on('pong', this.#onPong);
    ws.on('error', this.#onError);
    ws.once('close', this.#onClose);
  }

  /** Sets the connection's fields on a message. */
  #stamp(m: LogMessage): void {
    const names = this.#names;
    const values = this.#values;
    for (let j = 0; j < names.length; j++) m.set(names[j]!, values[j]!);
  }

  #field(name: string, value: LogValue): void {
    this.#names.push(name);
    this.#values.push(value);
  }

  readonly #onPong = (): void => {
    this.awaitingPong = 0;
  };

  readonly #onError = (err: Error): void => {
    // ws closes the connection itself (1009 oversize, 1007 bad UTF-8, 1002 protocol).
    this.#host.logger.warn(`connection ${this.id} from ${this.ip}: ${err.message}`);
  };

  readonly #onClose = (): void => {
    this.isClosed = true;
    this.closing = true;
    this.#host.closed(this);
  };

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    this.awaitingPong = 0; // any frame proves the peer alive
    if (this.closing) return;
    const seq = ++this.#frames;
    const host = this.#host;
    const cfg = this.#cfg;
    if (isBinary && !cfg.acceptBinary) {
      this.#refuse(
        seq,
        `binary frames are not accepted: format "${cfg.format}" expects text frames`,
        CLOSE_UNSUPPORTED,
      );
      return;
    }
    const buf = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (this.#plainText) {
      // The common case, without the frame buffer: one frame, one message.
      try {
        const m = new LogMessage(isBinary ? new Uint8Array(buf) : buf.toString('utf8'));
        this.#stamp(m);
        host.post(m);
        host.closeBatch();
      } catch (e) {
        this.#internalError(e);
      }
      return;
    }
    let err: string | undefined;
    try {
      err = parseFrame(cfg, buf, isBinary, scratch, this.#template);
    } catch (e) {
      err = `could not be parsed (${e instanceof Error ? e.message : String(e)})`;
    }
    if (err !== undefined) {
      scratch.reset();
      this.#refuse(seq, `frame ${seq}: ${err}`, CLOSE_INVALID_PAYLOAD);
      return;
    }
    try {
      this.#post(seq, cfg);
    } catch (e) {
      this.#internalError(e);
    } finally {
      scratch.reset();
    }
  };

  /** A bug must cost one connection, never the process (this runs inside ws's socket handler). */
  #internalError(err: unknown): void {
    this.#host.logger.error(
      `connection ${this.id}: posting a frame failed; closing the connection`,
      err,
    );
    this.close(CLOSE_INTERNAL_ERROR, 'internal error');
  }

  #post(seq: number, cfg: SourceConfig): void {
    const host = this.#host;
    const msgs = scratch.messages;
    const n = scratch.count;
    if (cfg.ack === 'none' && scratch.whole) {
      host.postMany(scratch.messages);
    } else if (cfg.ack === 'none') {
      const stamped = scratch.stamped;
      for (let i = 0; i < n; i++) {
        const m = msgs[i]!;
        if (!stamped) this.#stamp(m);
        host.post(m);
      }
    } else if (cfg.ack === 'message' && scratch.idCount > 0) {
      const ids = scratch.ids;
      for (let i = 0; i < n; i++) {
        const m = msgs[i]!;
        this.#stamp(m);
        const id = ids[i];
        if (id === undefined) m.setBookmark(NO_ACK);
        else {
          m.setBookmark(new MessageAck(this, id));
          this.owed++;
        }
        host.post(m);
      }
    } else {
      const frame = new FrameAck(this, seq, scratch.lastId);
      frame.pending = n;
      this.owed++;
      this.#queue.push(frame);
      for (let i = 0; i < n; i++) {
        const m = msgs[i]!;
        this.#stamp(m);
        m.setBookmark(frame);
        host.post(m);
      }
      if (n === 0) {
        frame.done = true;
        this.frameSettled();
      }
    }
    host.closeBatch();
  }

  /** Refuses a frame: a nack when acks are on (the connection stays), else a close with `code`. */
  #refuse(seq: number, reason: string, code: number): void {
    if (this.#cfg.ack !== 'none') {
      const frame = new FrameAck(this, seq, undefined);
      frame.worst = FRAME_REJECTED;
      frame.reason = reason;
      frame.done = true;
      this.owed++;
      this.#queue.push(frame);
      this.frameSettled();
      return;
    }
    this.#host.logger.warn(`closing connection ${this.id} from ${this.ip} (${code}): ${reason}`);
    this.close(code, reason);
  }

  messageSettled(ack: MessageAck, status: AckStatus): void {
    this.#reply(encodeMessageReply(ack.id, status));
    this.#owedDown();
  }

  /** Answers the settled frames at the head of the queue, in frame order. */
  frameSettled(): void {
    const q = this.#queue;
    let h = this.#head;
    while (h < q.length && q[h]!.done) {
      this.#reply(encodeFrameReply(q[h]!));
      h++;
      this.#owedDown();
    }
    if (h === q.length) {
      q.length = 0;
      h = 0;
    } else if (h > 1024 && h * 2 > q.length) {
      this.#queue = q.slice(h);
      h = 0;
    }
    this.#head = h;
  }

  #owedDown(): void {
    if (--this.owed === 0 && this.closing && !this.isClosed) this.#host.settledAll(this);
  }

  #reply(text: string): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return; // gone: the client resends what was not acked
    if (ws.bufferedAmount > this.#cfg.maxReplyBuffer) {
      this.#host.logger.warn(
        `connection ${this.id} from ${this.ip} does not read its acknowledgements; closing it`,
      );
      this.close(CLOSE_POLICY, 'acknowledgements are not being read');
      return;
    }
    ws.send(text);
  }

  pause(): void {
    this.paused = true;
    this.awaitingPong = 0; // pongs cannot be read while paused
    this.ws.pause();
  }

  resume(): void {
    this.paused = false;
    this.ws.resume();
  }

  /** Starts the closing handshake; frames that arrive from now on are not read. */
  close(code: number, reason: string): void {
    this.closing = true;
    if (this.paused) this.resume(); // the peer's close frame must be read
    this.ws.close(code, closeReason(reason));
  }
}
