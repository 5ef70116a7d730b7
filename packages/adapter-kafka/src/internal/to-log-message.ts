import { isUtf8 } from 'node:buffer';
import { LogMessage, type JsonValue, type LogValue } from '@logpath/core';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { KafkaSourceFormat } from '../kafka-source-options.js';

/** Names of the fields every message from Kafka carries. */
export const KAFKA_FIELDS = Object.freeze({
  TOPIC: 'KAFKA.TOPIC',
  PARTITION: 'KAFKA.PARTITION',
  OFFSET: 'KAFKA.OFFSET',
  KEY: 'KAFKA.KEY',
  /** Prefix of one field per record header. */
  HEADERS: 'KAFKA.HEADERS.',
  /** Why a value could not be parsed as `format` says (it is then delivered raw). */
  PARSE_ERROR: 'KAFKA.PARSE_ERROR',
});

/**
 * Turns the records of one Kafka batch into messages: `begin()` once per
 * batch (topic, partition), then `convert()` per record.
 */
export interface Converter {
  /** Starts a batch of `topic`/`partition`: what its records share is built once here. */
  begin(topic: string, partition: number): void;
  /** The message for `record` (of the batch begun last), carrying `bookmark`. */
  convert(record: KafkaMessage, bookmark: number | undefined): LogMessage;
}

/** Text when the bytes are valid UTF-8, else the bytes themselves (copied off the fetch buffer). */
export function textOrBytes(b: Buffer): string | Uint8Array {
  // One pass for the usual valid text: decoding replaces invalid bytes with U+FFFD, so only
  // a text holding one (invalid, or a real U+FFFD) needs the check.
  const s = b.toString('utf8');
  return !s.includes('\uFFFD') || isUtf8(b) ? s : new Uint8Array(b);
}

/** A header value as decoded: bytes, or null (a null value, which other clients may send). */
type HeaderBytes = Buffer | string | null;

/**
 * kafkajs builds the headers object with `obj[key] === undefined` checks, so
 * a header named after an Object.prototype member (`constructor`,
 * `toString`, `__proto__`) arrives as `[inheritedMember, value]`: only
 * strings, Buffers and null are header values.
 */
const isHeaderBytes = (x: unknown): x is HeaderBytes =>
  x === null || typeof x === 'string' || Buffer.isBuffer(x);

function headerValue(v: HeaderBytes | HeaderBytes[]): LogValue {
  if (v === null || typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const vs = v.filter(isHeaderBytes);
    if (vs.length === 1) return headerValue(vs[0]!);
    return vs.map((x) => (x === null || typeof x === 'string' ? x : x.toString('utf8')));
  }
  return textOrBytes(v);
}

function setHeaders(msg: LogMessage, headers: IHeaders): void {
  for (const name in headers) {
    const v = headers[name] as HeaderBytes | HeaderBytes[] | undefined;
    if (v !== undefined) msg.set(KAFKA_FIELDS.HEADERS + name, headerValue(v));
  }
}

/** Sets KEY, the headers and STAMP (unless `keepStamp`): what differs from record to record. */
function finishRecord(msg: LogMessage, r: KafkaMessage, keepStamp: boolean): LogMessage {
  if (r.key !== null && r.key !== undefined) msg.set(KAFKA_FIELDS.KEY, textOrBytes(r.key));
  if (r.headers !== undefined) setHeaders(msg, r.headers);
  if (!keepStamp) {
    const ts = Number(r.timestamp);
    if (ts >= 0) msg.setTimestamp(ts);
  }
  return msg;
}

/** Sets the Kafka fields and STAMP (unless `keepStamp`) on a message built from `r`. */
function finish(
  msg: LogMessage,
  r: KafkaMessage,
  topic: string,
  partition: number,
  keepStamp: boolean,
): LogMessage {
  msg.set(KAFKA_FIELDS.TOPIC, topic);
  msg.set(KAFKA_FIELDS.PARTITION, partition);
  msg.set(KAFKA_FIELDS.OFFSET, r.offset);
  return finishRecord(msg, r, keepStamp);
}

function raw(r: KafkaMessage, bookmark: number | undefined, why?: string): LogMessage {
  const msg = new LogMessage(r.value === null ? '' : textOrBytes(r.value), bookmark);
  if (why !== undefined) msg.set(KAFKA_FIELDS.PARSE_ERROR, why);
  return msg;
}

function fromJson(r: KafkaMessage, bookmark: number | undefined, messageField: string): LogMessage {
  const v = r.value;
  if (v === null) return raw(r, bookmark, 'the record has no value (a tombstone)');
  if (!isUtf8(v)) return raw(r, bookmark, 'the value is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(v.toString('utf8'));
  } catch (err) {
    return raw(r, bookmark, `the value is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind =
      parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return raw(r, bookmark, `the value is JSON ${kind}, not an object`);
  }
  const msg = new LogMessage(undefined, bookmark);
  const obj = parsed as Record<string, JsonValue>;
  for (const name of Object.keys(obj)) msg.set(name, obj[name]!);
  const m = obj[messageField];
  if (m !== undefined) msg.set('MESSAGE', typeof m === 'string' ? m : JSON.stringify(m));
  return msg;
}

/** `<` then 1–3 digits then `>`: the only part of a syslog line that is never optional. */
function hasPri(v: Buffer): boolean {
  if (v.length < 3 || v[0] !== 0x3c) return false;
  let i = 1;
  while (i < 4 && i < v.length && v[i]! >= 0x30 && v[i]! <= 0x39) i++;
  return i > 1 && v[i] === 0x3e;
}

function fromSyslog(r: KafkaMessage, bookmark: number | undefined): [LogMessage, boolean] {
  const v = r.value;
  if (v === null) return [raw(r, bookmark, 'the record has no value (a tombstone)'), false];
  if (!hasPri(v)) return [raw(r, bookmark, 'not a syslog line: no <PRI> header'), false];
  const msg = LogMessage.parse(v).setBookmark(bookmark);
  // parse() leaves STAMP at the receive time when the line has no usable timestamp.
  return [msg, msg.timestampMs !== msg.receivedAt];
}

/**
 * Raw records: each message is a clone of a per-batch template that already
 * holds TOPIC, PARTITION and TRANSPORT, so a record costs one field list
 * (copied once, at its exact size, when MESSAGE is set) instead of a list
 * grown field by field; TRANSPORT set again at post is the same value and
 * copies nothing.
 */
class RawConverter implements Converter {
  readonly #transport: string | undefined;
  #template = new LogMessage('');

  constructor(transport: string | undefined) {
    this.#transport = transport;
  }

  begin(topic: string, partition: number): void {
    // A new template per batch: a clone takes its receive time, which is the batch's.
    const t = new LogMessage('');
    t.set(KAFKA_FIELDS.TOPIC, topic);
    t.set(KAFKA_FIELDS.PARTITION, partition);
    t.set(KAFKA_FIELDS.OFFSET, '');
    if (this.#transport !== undefined) t.set('TRANSPORT', this.#transport);
    this.#template = t;
  }

  convert(r: KafkaMessage, bookmark: number | undefined): LogMessage {
    const msg = this.#template.clone().setBookmark(bookmark);
    msg.set('MESSAGE', r.value === null ? '' : textOrBytes(r.value));
    msg.set(KAFKA_FIELDS.OFFSET, r.offset);
    return finishRecord(msg, r, false);
  }
}

/** json and syslog: a message built from the parsed value, then the Kafka fields. */
class ParsingConverter implements Converter {
  readonly #parse: (r: KafkaMessage, bookmark: number | undefined) => [LogMessage, boolean];
  #topic = '';
  #partition = 0;

  constructor(parse: (r: KafkaMessage, bookmark: number | undefined) => [LogMessage, boolean]) {
    this.#parse = parse;
  }

  begin(topic: string, partition: number): void {
    this.#topic = topic;
    this.#partition = partition;
  }

  convert(r: KafkaMessage, bookmark: number | undefined): LogMessage {
    const [msg, stamped] = this.#parse(r, bookmark);
    return finish(msg, r, this.#topic, this.#partition, stamped);
  }
}

/**
 * The converter for `format`: MESSAGE from the value (text when it is valid
 * UTF-8, else bytes), STAMP from the record's timestamp (a syslog line's own
 * timestamp wins), and the KAFKA.* fields. A value that does not parse as
 * `format` says is delivered raw with KAFKA.PARSE_ERROR saying why.
 *
 * @param transport - the source's transport name, preset on raw messages
 *   so that posting them sets nothing new. Default: none.
 */
export function createConverter(
  format: KafkaSourceFormat,
  messageField: string,
  transport?: string,
): Converter {
  switch (format) {
    case 'raw':
      return new RawConverter(transport);
    case 'json':
      return new ParsingConverter((r, bookmark) => [fromJson(r, bookmark, messageField), false]);
    case 'syslog':
      return new ParsingConverter(fromSyslog);
  }
}
