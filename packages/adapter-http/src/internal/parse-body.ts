import { isAscii, isUtf8 } from 'node:buffer';
import { LogMessage, ParseError, jsonFieldsFill, type JsonFill } from '@logpath/core';
import { HttpError } from './http-error.js';
import { stampFields, type RequestFields } from './request-fields.js';
import { firstInvalidUtf8 } from './utf8.js';

/** A format once `auto` has been resolved from the Content-Type. */
export type BodyFormat = 'json' | 'ndjson' | 'text' | 'raw' | 'syslog';

/** What a body may hold. */
export interface BodyLimits {
  readonly maxLineBytes: number;
  readonly maxMessages: number;
  /** JSON field that becomes MESSAGE. */
  readonly messageField: string;
}

const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonl',
  'application/jsonlines',
  'application/x-jsonlines',
]);
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** The Content-Types `auto` understands, for the 415 answer. */
export const SUPPORTED_TYPES = Object.freeze([
  'application/json',
  'application/x-ndjson',
  'text/plain',
  'application/octet-stream',
]);

/**
 * Picks the format of a body from its Content-Type (`format: auto`).
 * @throws HttpError 415 for a missing or unsupported type or charset.
 */
export function formatFromContentType(contentType: string | undefined): BodyFormat {
  if (contentType === undefined || contentType === '') {
    throw new HttpError(415, 'the Content-Type header is missing', { supported: SUPPORTED_TYPES });
  }
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (semi >= 0) {
    const charset = CHARSET.exec(contentType)?.[1]?.toLowerCase();
    if (
      charset !== undefined &&
      charset !== 'utf-8' &&
      charset !== 'utf8' &&
      charset !== 'us-ascii'
    ) {
      throw new HttpError(415, `unsupported charset "${charset}": send UTF-8`);
    }
  }
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (NDJSON_TYPES.has(type)) return 'ndjson';
  if (type === 'text/plain') return 'text';
  if (type === 'application/octet-stream') return 'raw';
  throw new HttpError(415, `unsupported Content-Type "${type}"`, { supported: SUPPORTED_TYPES });
}

/** Where JSON values go: MESSAGE for `messageField`, and the request's fields after the JSON ones. */
interface JsonTarget {
  readonly fill: JsonFill;
  readonly fields: RequestFields | undefined;
}

/**
 * Turns a whole body into messages, or refuses all of it: nothing is posted
 * from a body that fails anywhere. With `fields`, every message gets the
 * request's fields (after its own).
 * @throws HttpError 400 (malformed, invalid UTF-8) or 413 (line or message count over the limits).
 */
export function parseBody(
  buf: Buffer,
  format: BodyFormat,
  limits: BodyLimits,
  fields?: RequestFields,
): LogMessage[] {
  if (format === 'raw') {
    if (buf.length === 0) return [];
    return [stamp(new LogMessage(isUtf8(buf) ? buf.toString('utf8') : buf), fields)];
  }
  let text = decodeUtf8(buf, format);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const target: JsonTarget = { fill: jsonFieldsFill(limits.messageField), fields };
  if (format === 'json') return parseJsonDocument(text, limits, target);
  if (format === 'ndjson') return parseNdjson(text, limits, target, buf.length);
  const make =
    format === 'text'
      ? (line: string) => stamp(new LogMessage(line), fields)
      : (line: string) => stamp(LogMessage.parse(line), fields);
  return parseLines(text, limits, buf.length > limits.maxLineBytes, make);
}

function stamp(msg: LogMessage, fields: RequestFields | undefined): LogMessage {
  if (fields !== undefined) stampFields(msg, fields);
  return msg;
}

/**
 * One JSON text as a message, parsed when a field is first read; undefined
 * when it is not valid JSON.
 */
function fromJsonText(text: string, target: JsonTarget): LogMessage | undefined {
  const f = target.fields;
  return f === undefined
    ? LogMessage.fromJsonText(text, target.fill)
    : LogMessage.fromJsonText(text, target.fill, f.template, f.receivedAt);
}

function decodeUtf8(buf: Buffer, format: BodyFormat): string {
  // ASCII (most log text) reads the same as Latin-1, whose decoding is a plain copy.
  if (isAscii(buf)) return buf.toString('latin1');
  if (isUtf8(buf)) return buf.toString('utf8');
  const offset = firstInvalidUtf8(buf);
  if (format === 'json')
    throw new HttpError(400, `the body is not valid UTF-8 (byte ${offset})`, { offset });
  let line = 1;
  for (let i = 0; i < offset; i++) if (buf[i] === 10) line++;
  throw new HttpError(400, `line ${line} is not valid UTF-8 (byte ${offset} of the body)`, {
    line,
    offset,
  });
}

function parseJsonDocument(text: string, limits: BodyLimits, target: JsonTarget): LogMessage[] {
  // One value, not an array: checked now, parsed when read.
  if (!isArrayText(text)) {
    const msg = fromJsonText(text, target);
    if (msg !== undefined) return [msg];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc)) return [stamp(fromJson(doc, target.fill), target.fields)]; // not reached
  if (doc.length > limits.maxMessages) {
    throw new HttpError(
      413,
      `the body holds ${doc.length} messages, more than maxMessages (${limits.maxMessages})`,
      {
        maxMessages: limits.maxMessages,
      },
    );
  }
  const out = new Array<LogMessage>(doc.length);
  for (let i = 0; i < doc.length; i++) {
    out[i] = stamp(fromJson(doc[i], target.fill), target.fields);
  }
  return out;
}

/** True when the first non-blank character is `[`. */
function isArrayText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c === 0x5b;
  }
  return false;
}

/**
 * NDJSON, checked as a whole by core (cheaper than line by line). The limits
 * are checked first, and only when the body is large enough to break them.
 */
function parseNdjson(
  text: string,
  limits: BodyLimits,
  target: JsonTarget,
  bodyBytes: number,
): LogMessage[] {
  // N messages take at least 2N - 1 characters (one each, and the newlines between).
  if (bodyBytes > limits.maxLineBytes || text.length > 2 * limits.maxMessages) {
    parseLines(text, limits, bodyBytes > limits.maxLineBytes, undefined);
  }
  const f = target.fields;
  try {
    return f === undefined
      ? LogMessage.fromJsonLines(text, target.fill)
      : LogMessage.fromJsonLines(text, target.fill, f.template, f.receivedAt);
  } catch (err) {
    if (!(err instanceof ParseError) || err.line === undefined) throw err;
    const reason = err.cause instanceof Error ? err.cause.message : 'invalid JSON';
    throw new HttpError(400, `line ${err.line} is not valid JSON: ${reason}`, { line: err.line });
  }
}

/**
 * One message per line, made by `make`; without `make` (NDJSON, made by
 * core) only the line length and count limits are checked, blank lines not
 * counted.
 */
function parseLines(
  text: string,
  limits: BodyLimits,
  checkLength: boolean,
  make: ((line: string) => LogMessage) | undefined,
): LogMessage[] {
  const out: LogMessage[] = [];
  let count = 0;
  const len = text.length;
  const { maxLineBytes, maxMessages } = limits;
  let start = 0;
  let lineNo = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    lineNo++;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const line = stop > start ? text.slice(start, stop) : '';
    start = end + 1;
    if (line === '' || (make === undefined && line.trim() === '')) continue;
    if (checkLength && lineTooLong(line, maxLineBytes)) {
      throw new HttpError(413, `line ${lineNo} exceeds maxLineBytes (${maxLineBytes} bytes)`, {
        line: lineNo,
        maxLineBytes,
      });
    }
    if (count++ === maxMessages) {
      throw new HttpError(413, `the body holds more than maxMessages (${maxMessages}) messages`, {
        maxMessages,
      });
    }
    if (make !== undefined) out.push(make(line));
  }
  return out;
}

/** UTF-8 length > max, computing it only when the UTF-16 length cannot decide. */
function lineTooLong(line: string, max: number): boolean {
  if (line.length > max) return true; // every UTF-16 unit is at least one UTF-8 byte
  if (line.length * 3 <= max) return false; // and at most three
  return Buffer.byteLength(line, 'utf8') > max;
}

/** A parsed JSON value as a message, through `fill`. */
function fromJson(value: unknown, fill: JsonFill): LogMessage {
  const msg = new LogMessage();
  fill(msg, value);
  return msg;
}
