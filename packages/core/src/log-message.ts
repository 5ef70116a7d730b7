import { formatTemplate } from './template.js';
import {
  fieldsSize,
  fieldsToJson,
  localOffsetAt,
  stringifyValue,
  type JsonValue,
  type LogValue,
} from './internal/field-values.js';
import { isJsonText } from './internal/json-check.js';
import { firstInvalidJsonLine, invalidLine, isBlank } from './internal/json-lines.js';
import { parseSyslog, type ParseOptions } from './internal/syslog-parser.js';

export type { JsonValue, LogValue } from './internal/field-values.js';

/**
 * Turns the parsed value of a JSON text into fields of `msg` (with `msg.set`),
 * for {@link LogMessage.fromJsonText}. Called at most once per message, when a
 * field is first read; it must not throw.
 */
export type JsonFill = (msg: LogMessage, value: unknown) => void;

/** Where a message's ack goes once every destination is done with it. @internal */
export interface AckOwner {
  complete(msg: LogMessage): void;
}

const DEFAULT_PRI = 13;
const INDEX_FROM = 64; // array slots, i.e. 32 fields

// Set by fromJsonText around its `new LogMessage()`: the receive time (-1: now)
// and the fields, so that the constructor neither reads the clock nor allocates for nothing.
let presetTime = -1;
let presetFields: (string | LogValue)[] | undefined;
// The shared field list measured last, and its size.
let sizedList: unknown[] | undefined;
let sizedListSize = 0;
// A shared field list known to hold `heldName` = `heldValue`: a shared list never
// changes (copy on write), so setting that value again on its messages is a no-op.
let heldList: unknown[] | undefined;
let heldName = '';
let heldValue: unknown;

function canonicalName(name: string): string {
  // The seed's own example reads msg["MSG"]: MSG is the classic syslog-ng alias.
  return name === 'MSG' ? 'MESSAGE' : name;
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
  // #f is also another message's (fromJsonText's fields, clone): copied before the first write.
  #shared = false;
  #index: Map<string, number> | undefined;
  #pri = DEFAULT_PRI;
  #stamp: number;
  #stampOffset: number | undefined;
  #bookmark: unknown;
  // A JSON text whose fields come before those in #f, parsed on first read (fromJsonText).
  #json: string | undefined = undefined;
  #fill: JsonFill | undefined = undefined;

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
    this.receivedAt = presetTime < 0 ? Date.now() : presetTime;
    this.#stamp = this.receivedAt;
    this.#f = presetFields ?? (message === undefined ? [] : ['MESSAGE', message]);
    this.#bookmark = bookmark;
  }

  /**
   * A message whose fields come from one JSON text (an NDJSON line, a request
   * body), or `undefined` when `text` is not valid JSON (JSON.parse says why).
   * The syntax is checked now; the text is parsed, and `fill` turns the value
   * into fields, only when a field is first read: a message that is only
   * forwarded never builds its objects. Fields set before that (`set`) are
   * kept and win over the JSON ones, as if set afterwards.
   *
   * @param fill - turns the parsed value into fields (e.g. an object's keys
   *   with their JSON types); see {@link JsonFill}.
   * @param fields - a message whose fields (not times, priority or bookmark)
   *   every new message gets after the JSON ones: per-request fields built
   *   once instead of set on each message. Default: none.
   * @param receivedAt - the receive time, ms since the epoch (all lines of a
   *   request share it). Default (or when not a finite time): now.
   */
  static fromJsonText(
    text: string,
    fill: JsonFill,
    fields?: LogMessage,
    receivedAt = -1,
  ): LogMessage | undefined {
    if (!isJsonText(text, 0, text.length)) return undefined;
    if (fields !== undefined && fields.#json !== undefined) fields.#materialize();
    presetTime = receivedAt >= 0 && Number.isFinite(receivedAt) ? receivedAt : -1;
    presetFields = fields === undefined ? [] : fields.#f;
    const msg = new LogMessage(); // cannot throw: the presets are reset right after
    presetTime = -1;
    presetFields = undefined;
    if (fields !== undefined) msg.#shared = fields.#shared = true;
    msg.#json = text;
    msg.#fill = fill;
    return msg;
  }

  /**
   * Messages from NDJSON text, one per line that is not blank, each made as
   * {@link LogMessage.fromJsonText} makes it: parsed when a field is first
   * read. The whole text is checked before any message is made, in one pass
   * that costs less than checking line by line. Lines end with LF or CRLF.
   *
   * @param fill - turns each parsed value into fields; see {@link JsonFill}.
   * @param fields - fields every message gets after its JSON ones, as for
   *   fromJsonText. Default: none.
   * @param receivedAt - the receive time of every message, ms since the
   *   epoch. Default (or when not a finite time): now, read once.
   * @throws {ParseError} naming the first line that is not valid JSON
   *   (`line`, 1-based), with JSON.parse's error as `cause`. No message is
   *   made then.
   */
  static fromJsonLines(
    text: string,
    fill: JsonFill,
    fields?: LogMessage,
    receivedAt = -1,
  ): LogMessage[] {
    const bad = firstInvalidJsonLine(text);
    if (bad > 0) throw invalidLine(text, bad);
    if (fields !== undefined && fields.#json !== undefined) fields.#materialize();
    // One shared list (copy on write) for all: an empty one when there are no fields.
    const list = fields === undefined ? [] : fields.#f;
    if (fields !== undefined) fields.#shared = true;
    const out: LogMessage[] = [];
    presetTime = receivedAt >= 0 && Number.isFinite(receivedAt) ? receivedAt : Date.now();
    presetFields = list;
    const n = text.length;
    for (let start = 0; start < n;) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      const stop = end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      if (stop > start && !isBlank(text, start, stop)) {
        const msg = new LogMessage(); // cannot throw
        msg.#shared = true;
        msg.#json = start === 0 && stop === n ? text : text.slice(start, stop);
        msg.#fill = fill;
        out.push(msg);
      }
      start = end + 1;
    }
    presetTime = -1;
    presetFields = undefined;
    return out;
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
    const i = this.#lookup(canonicalName(name));
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
    // On a message with unparsed JSON, #f holds the fields set after it: no need to parse.
    const key = canonicalName(name);
    // A source's transport, set on each of a request's messages: one scan per request.
    if (this.#f === heldList && key === heldName && value === heldValue && this.#shared)
      return this;
    const i = this.#find(key);
    if (i >= 0) {
      // The same value again (a transport set on every message) must not copy a shared list.
      if (this.#f[i + 1] !== value) {
        if (this.#shared) this.#own();
        this.#f[i + 1] = value;
      } else if (this.#shared) {
        heldList = this.#f;
        heldName = key;
        heldValue = value;
      }
    } else {
      if (this.#shared) this.#own();
      this.#index?.set(key, this.#f.length);
      this.#f.push(key, value);
    }
    return this;
  }

  /** True when `name` is set. */
  has(name: string): boolean {
    return this.#lookup(canonicalName(name)) >= 0;
  }

  /** Removes a field; true when it was set. */
  delete(name: string): boolean {
    if (this.#json !== undefined) this.#materialize();
    const i = this.#find(canonicalName(name));
    if (i < 0) return false;
    if (this.#shared) this.#own();
    this.#f.splice(i, 2);
    this.#index = undefined;
    return true;
  }

  /** The names that are set, in insertion order (macros are not included). */
  keys(): string[] {
    if (this.#json !== undefined) this.#materialize();
    const out: string[] = [];
    for (let i = 0; i < this.#f.length; i += 2) out.push(this.#f[i] as string);
    return out;
  }

  /** Iterates over the fields that are set. */
  entries(): IterableIterator<[string, LogValue]> {
    if (this.#json !== undefined) this.#materialize();
    return this.#entries();
  }

  /** Number of fields set. */
  get fieldCount(): number {
    if (this.#json !== undefined) this.#materialize();
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
    if (this.#json !== undefined) this.#materialize();
    const out = fieldsToJson(this.#f);
    if (!Object.hasOwn(out, 'ISODATE')) out.ISODATE = this.format('${ISODATE}');
    if (!Object.hasOwn(out, 'PRI')) out.PRI = this.#pri;
    return out;
  }

  /**
   * A copy with the same fields, priority, timestamps and bookmark (values are
   * shared, not deep-copied); it carries no ack bookkeeping.
   */
  clone(): LogMessage {
    // The presets spare the constructor a clock read and an empty field list.
    presetTime = this.receivedAt;
    presetFields = this.#f;
    const c = new LogMessage(undefined, this.#bookmark); // cannot throw: the presets are reset right after
    presetTime = -1;
    presetFields = undefined;
    // A time before the epoch reads as "no preset": set it afterwards.
    if (this.receivedAt < 0) (c as { receivedAt: number }).receivedAt = this.receivedAt;
    c.#shared = this.#shared = true;
    c.#index = undefined;
    c.#json = this.#json;
    c.#fill = this.#fill;
    c.#pri = this.#pri;
    c.#stamp = this.#stamp;
    c.#stampOffset = this.#stampOffset;
    return c;
  }

  /** Takes a private copy of a shared field list before writing to it. */
  #own(): void {
    this.#f = this.#f.slice();
    this.#shared = false;
  }

  /** #find, parsing pending JSON first when the name is not among the fields set after it. */
  #lookup(name: string): number {
    const i = this.#find(name);
    if (i >= 0 || this.#json === undefined) return i;
    this.#materialize();
    return this.#find(name);
  }

  /** Parses the pending JSON text: its fields first, then those set since. */
  #materialize(): void {
    const text = this.#json!;
    const fill = this.#fill!;
    this.#json = undefined;
    this.#fill = undefined;
    const later = this.#f;
    this.#f = [];
    this.#shared = false;
    this.#index = undefined;
    try {
      fill(this, JSON.parse(text));
    } catch {
      // Not for a text that passed the check; a throwing fill must not make a getter throw.
      this.#f = ['MESSAGE', text];
      this.#index = undefined;
    }
    for (let i = 0; i < later.length; i += 2)
      this.set(later[i] as string, later[i + 1] as LogValue);
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
    const n = this.#json === undefined ? 0 : this.#json.length;
    const f = this.#f;
    if (!this.#shared) return n + fieldsSize(f);
    // A shared list never changes (copy on write): the messages of a request measure it once.
    if (f !== sizedList) {
      sizedList = f;
      sizedListSize = fieldsSize(f);
    }
    return n + sizedListSize;
  }
}
