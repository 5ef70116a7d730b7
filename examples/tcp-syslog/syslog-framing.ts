/**
 * Splits a TCP byte stream into syslog messages as RFC 6587 describes:
 * octet counting (`<length> <message>`, the length in ASCII digits) and
 * non-transparent framing (each message ends with LF; a CR before it is
 * dropped). Senders may mix both on one connection: a frame that starts with
 * a digit 1–9 is octet-counted, anything else (syslog starts with `<`) is
 * newline-framed.
 */

/** The stream cannot be framed (a bad length, a message over the limit): close the connection. */
export class FramingError extends Error {
  override name = 'FramingError';
}

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const MAX_LENGTH_DIGITS = 10;

export class SyslogFramer {
  readonly #maxMessageBytes: number;
  readonly #onFrame: (frame: Buffer) => void;
  /** The start of a frame whose end has not arrived yet. */
  #rest: Buffer = EMPTY;

  /**
   * @param maxMessageBytes - longest message; a longer one is a {@link FramingError}.
   * @param onFrame - receives each message, without its length prefix or line end.
   *   The buffer may share memory with the chunk it came in: copy it to keep it.
   */
  constructor(maxMessageBytes: number, onFrame: (frame: Buffer) => void) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#onFrame = onFrame;
  }

  /**
   * Frames what `chunk` completes; keeps an unfinished frame for the next call.
   * @throws FramingError when the stream is not RFC 6587.
   */
  push(chunk: Buffer): void {
    const buf = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    let pos = 0;
    while (pos < buf.length) {
      const c = buf[pos]!;
      if (c === LF || c === CR) {
        pos++; // a stray line end between frames (a sender that adds LF after octet-counted ones)
      } else if (c >= 0x31 && c <= 0x39) {
        const next = this.#octetCounted(buf, pos);
        if (next < 0) break;
        pos = next;
      } else {
        const lf = buf.indexOf(LF, pos);
        if (lf < 0) {
          if (buf.length - pos > this.#maxMessageBytes) throw this.#tooLong(buf.length - pos);
          break;
        }
        const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        if (end - pos > this.#maxMessageBytes) throw this.#tooLong(end - pos);
        this.#onFrame(buf.subarray(pos, end));
        pos = lf + 1;
      }
    }
    // Copy the remainder: a subarray would keep the whole chunk alive.
    this.#rest = pos === buf.length ? EMPTY : Buffer.from(buf.subarray(pos));
  }

  /**
   * At the end of the stream: a last newline-framed message without its LF
   * is a message; an unfinished octet-counted one is lost (the sender cut it).
   * Returns the number of bytes discarded.
   */
  end(): number {
    const rest = this.#rest;
    this.#rest = EMPTY;
    const first = rest[0];
    if (first === undefined) return 0;
    if (first >= 0x31 && first <= 0x39) return rest.length;
    this.#onFrame(rest[rest.length - 1] === CR ? rest.subarray(0, -1) : rest);
    return 0;
  }

  /** Emits the octet-counted frame at `pos`; returns where the next one starts, or -1 if incomplete. */
  #octetCounted(buf: Buffer, pos: number): number {
    const sp = buf.indexOf(SP, pos);
    const digits = (sp < 0 ? buf.length : sp) - pos;
    if (digits > MAX_LENGTH_DIGITS)
      throw new FramingError('octet count: the length has too many digits');
    if (sp < 0) return -1;
    let length = 0;
    for (let i = pos; i < sp; i++) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) {
        throw new FramingError(`octet count: "${buf.toString('latin1', pos, sp)}" is not a length`);
      }
      length = length * 10 + d;
    }
    if (length > this.#maxMessageBytes) throw this.#tooLong(length);
    const end = sp + 1 + length;
    if (buf.length < end) return -1;
    this.#onFrame(buf.subarray(sp + 1, end));
    return end;
  }

  #tooLong(bytes: number): FramingError {
    return new FramingError(
      `a message of ${bytes} bytes or more exceeds maxMessageBytes (${this.#maxMessageBytes})`,
    );
  }
}
