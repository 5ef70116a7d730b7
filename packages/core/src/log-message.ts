import { formatTemplate } from './template.js';
import { parseSyslog, type ParseOptions } from './internal/syslog-parser.js';

/** A JSON value as stored in a message field. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A value of a name-value pair. Values keep their types: strings stay strings
 * (never bytes), numbers keep full precision, dates keep their instant.
 */
export type LogValue =
  | JsonValue // string, number, boolean, null, JSON arrays and objects
  | bigint
  | Date
  | readonly string[]
  | Uint8Array;

/** Where a message's ack goes once every destination is done with it. @internal */
export interface AckOwner {
  complete(msg: LogMessage): void;
}

const utf8 = new TextDecoder('utf-8');
const DEFAULT_PRI = 13;
const INDEX_FROM = 64; // array slots, i.e. 32 fields

function canonicalName(name: string): string {
  // The seed's own example reads msg["MSG"]: MSG is the classic syslog-ng alias.
  return name === 'MSG' ? 'MESSAGE' : name;
}

function valueSize(v: LogValue): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v === null || typeof v !== 'object') return 8;
  if (v instanceof Date) return 24;
  return 64;
}

/**
 * One log message: typed name-value pairs plus priority, timestamps and an
 * optional bookmark that identifies its position at the source.
 *
 * Field names are ordinary strings: `__proto__` or `constructor` are stored
 * like any other name and can never reach an object prototype.
 *
 * @example
 * const msg = new LogMessage('user logged in');
 * msg.set('user.id', 42);
 * msg.format('${ISODATE} ${HOST} ${MESSAGE}');
 */
export class LogMessage {
  /** Receive time, milliseconds since the epoch, set at construction. */
  readonly receivedAt: number;

  // Names and values interleaved ([name0, value0, name1, …]): one allocation per
  // message, and a linear scan beats hashing for the handful of fields a message has.
  #f: (string | LogValue)[];
  #index: Map<string, number> | undefined;
  #pri = DEFAULT_PRI;
  #stamp: number;
  #stampOffset: number | undefined;
  #bookmark: unknown;

  /** @internal ack bookkeeping, owned by the runtime */
  _owner: AckOwner | undefined = undefined;
  /** @internal outstanding deliveries */
  _pending = 0;
  /** @internal worst delivery status so far (an AckStatus ordinal) */
  _status = 0;
  /** @internal position in the owner's ack tracker */
  _seq = 0;
  /** @internal `size` as measured when posted (0: not measured) */
  _size = 0;

  /** @internal STAMP's UTC offset as set (undefined: local time), for the disk buffer codec */
  get _stampOffset(): number | undefined {
    return this.#stampOffset;
  }

  /** @internal restores the times of a message read back from a disk buffer */
  _restoreTimes(receivedAt: number, stamp: number, stampOffset: number | undefined): void {
    (this as { receivedAt: number }).receivedAt = receivedAt;
    this.#stamp = stamp;
    this.#stampOffset = stampOffset;
  }

  /**
   * @param message - stored as MESSAGE; bytes are kept as bytes.
   * @param bookmark - the source position this message stands for, reported
   *   back through the source's ack tracker once the message is delivered.
   */
  constructor(message?: string | Uint8Array, bookmark?: unknown) {
    this.receivedAt = Date.now();
    this.#stamp = this.receivedAt;
    this.#f = message === undefined ? [] : ['MESSAGE', message];
    this.#bookmark = bookmark;
  }

  /**
   * Parses a syslog line: RFC 5424 first, RFC 3164 as the fallback. Sets PRI,
   * STAMP, HOST, PROGRAM, PID, MSGID, structured data (as `SDATA.<id>.<param>`
   * fields) and MESSAGE. Never throws on bad input: a line that is neither
   * format is kept whole as MESSAGE.
   */
  static parse(raw: string | Uint8Array, options?: ParseOptions): LogMessage {
    const msg = new LogMessage();
    parseSyslog(raw, msg, options);
    return msg;
  }

  /** Returns the value of `name`, or `undefined` when it is not set. `MSG` reads MESSAGE. */
  get(name: string): LogValue | undefined {
    const i = this.#find(canonicalName(name));
    return i < 0 ? undefined : (this.#f[i + 1] as LogValue);
  }

  /**
   * Returns the value of `name` as a string: bytes decoded as UTF-8, dates as
   * ISO 8601, objects as JSON; `undefined` when the field is not set.
   */
  getAsString(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : stringifyValue(v);
  }

  /** Sets a field. `MSG` sets MESSAGE. Returns `this`. */
  set(name: string, value: LogValue): this {
    const key = canonicalName(name);
    const i = this.#find(key);
    if (i >= 0) this.#f[i + 1] = value;
    else {
      this.#index?.set(key, this.#f.length);
      this.#f.push(key, value);
    }
    return this;
  }

  /** True when `name` is set. */
  has(name: string): boolean {
    return this.#find(canonicalName(name)) >= 0;
  }

  /** Removes a field; true when it was set. */
  delete(name: string): boolean {
    const i = this.#find(canonicalName(name));
    if (i < 0) return false;
    this.#f.splice(i, 2);
    this.#index = undefined;
    return true;
  }

  /** The names that are set, in insertion order (macros are not included). */
  keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#f.length; i += 2) out.push(this.#f[i] as string);
    return out;
  }

  /** Iterates over the fields that are set. */
  entries(): IterableIterator<[string, LogValue]> {
    return this.#entries();
  }

  /** Number of fields set. */
  get fieldCount(): number {
    return this.#f.length >> 1;
  }

  /** Sets the syslog priority (facility * 8 + severity, 0–191). */
  setPri(pri: number): this {
    if (!Number.isInteger(pri) || pri < 0 || pri > 191) {
      throw new RangeError(`pri must be an integer from 0 to 191, got ${String(pri)}`);
    }
    this.#pri = pri;
    return this;
  }

  /** The syslog priority; 13 (user.notice) unless set. */
  getPri(): number {
    return this.#pri;
  }

  /**
   * Sets STAMP, the time the event happened.
   * @param date - the instant.
   * @param tzOffsetMinutes - the offset from UTC the time was written in
   *   (east positive, e.g. -300 for -05:00); defaults to the local offset.
   */
  setTimestamp(date: Date | number, tzOffsetMinutes?: number): this {
    const ms = typeof date === 'number' ? date : date.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('setTimestamp needs a valid date');
    this.#stamp = ms;
    this.#stampOffset = tzOffsetMinutes;
    return this;
  }

  /** STAMP as a Date (the receive time unless set). */
  getTimestamp(): Date {
    return new Date(this.#stamp);
  }

  /** STAMP in milliseconds since the epoch. */
  get timestampMs(): number {
    return this.#stamp;
  }

  /** The UTC offset STAMP was written in, in minutes east of UTC. */
  get timezoneOffset(): number {
    return this.#stampOffset ?? localOffsetAt(this.#stamp);
  }

  /** Sets SOURCEIP (and SOURCEPORT when given). */
  setSourceIpAddress(ip: string, port?: number): this {
    this.set('SOURCEIP', ip);
    if (port !== undefined) this.set('SOURCEPORT', port);
    return this;
  }

  /** Attaches the source position this message stands for. */
  setBookmark(bookmark: unknown): this {
    this.#bookmark = bookmark;
    return this;
  }

  /** The bookmark set at construction or with {@link setBookmark}. */
  get bookmark(): unknown {
    return this.#bookmark;
  }

  /**
   * Expands a template: `${NAME}` (or `$NAME`) is replaced by a field or a
   * macro (ISODATE, DATE, UNIXTIME, PRI, FACILITY, SEVERITY, …); `$$` is a `$`.
   * Unset names expand to the empty string. Templates are compiled once and cached.
   */
  format(template: string): string {
    return formatTemplate(template, this);
  }

  /**
   * A JSON-safe object of every field, with ISODATE (STAMP) and PRI added when
   * not set as fields. Dates become ISO strings, bigints decimal strings,
   * bytes base64.
   */
  toJSON(): Record<string, JsonValue> {
    // A plain object (a null-prototype one is slow to build and to stringify);
    // "__proto__" is defined as an own property, never through the setter.
    const out: Record<string, JsonValue> = {};
    const f = this.#f;
    for (let i = 0; i < f.length; i += 2) {
      const k = f[i] as string;
      const v = toJsonValue(f[i + 1] as LogValue);
      if (k === '__proto__') {
        Object.defineProperty(out, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[k] = v;
    }
    if (!Object.hasOwn(out, 'ISODATE')) out.ISODATE = this.format('${ISODATE}');
    if (!Object.hasOwn(out, 'PRI')) out.PRI = this.#pri;
    return out;
  }

  /**
   * A copy with the same fields, priority, timestamps and bookmark (values are
   * shared, not deep-copied); it carries no ack bookkeeping.
   */
  clone(): LogMessage {
    const c = new LogMessage(undefined, this.#bookmark);
    (c as { receivedAt: number }).receivedAt = this.receivedAt;
    c.#f = this.#f.slice();
    c.#index = undefined;
    c.#pri = this.#pri;
    c.#stamp = this.#stamp;
    c.#stampOffset = this.#stampOffset;
    return c;
  }

  #find(name: string): number {
    const f = this.#f;
    if (f.length > INDEX_FROM) return this.#indexed(name);
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return i;
    return -1;
  }

  /** Messages with many fields (a wide JSON object) look names up in a Map instead. */
  #indexed(name: string): number {
    let index = this.#index;
    const f = this.#f;
    if (index === undefined || index.size * 2 !== f.length) {
      index = new Map();
      for (let i = 0; i < f.length; i += 2) index.set(f[i] as string, i);
      this.#index = index;
    }
    return index.get(name) ?? -1;
  }

  *#entries(): IterableIterator<[string, LogValue]> {
    const f = this.#f;
    for (let i = 0; i < f.length; i += 2) yield [f[i] as string, f[i + 1] as LogValue];
  }

  /** Approximate size in bytes, used by `batchBytes` accounting. */
  get size(): number {
    let n = 0;
    const f = this.#f;
    for (let i = 0; i < f.length; i += 2)
      n += (f[i] as string).length + valueSize(f[i + 1] as LogValue);
    return n;
  }
}

// The local offset changes at most at an hour boundary (DST): cache it per hour.
let offsetHour = NaN;
let offsetValue = 0;

function localOffsetAt(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== offsetHour) {
    offsetValue = -new Date(ms).getTimezoneOffset() || 0;
    offsetHour = hour;
  }
  return offsetValue;
}

/** @internal */
export function stringifyValue(v: LogValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return utf8.decode(v);
  // An invalid Date must not make format() throw on the hot path.
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).join(',');
  return JSON.stringify(v);
}

function toJsonValue(v: LogValue): JsonValue {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v as JsonValue;
}
