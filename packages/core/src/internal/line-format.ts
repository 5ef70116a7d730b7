import type { LogMessage } from '../log-message.js';
import { compileTemplate } from '../template.js';

/** Formats one message as one line, without the trailing newline. */
export type LineFormatter = (msg: LogMessage) => string;

/**
 * CR and LF, plus the line breaks JSON leaves raw but Unicode-aware readers
 * (Python's `splitlines`, some log viewers) split on: NEL, LS and PS.
 */
const NEWLINES = /[\r\n\u0085\u2028\u2029]/g;
const UNICODE_BREAKS = /[\u0085\u2028\u2029]/g;
/** Characters JSON must escape, plus surrogates (a lone one is escaped, a pair is not), plus NEL/LS/PS. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const JSON_UNSAFE = /["\\\u0000-\u001f\u0085\u2028\u2029\ud800-\udfff]/;

function unicodeEscape(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** JSON.stringify's output with NEL/LS/PS escaped too (valid JSON either way). */
function jsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(UNICODE_BREAKS, unicodeEscape);
}

/** JSON.stringify(s), skipping its escaping pass for the common string that needs none. */
function jsonString(s: string): string {
  return JSON_UNSAFE.test(s) ? jsonStringify(s) : '"' + s + '"';
}

function escapeNewline(c: string): string {
  return c === '\n' ? '\\n' : c === '\r' ? '\\r' : unicodeEscape(c);
}

/**
 * Replaces every CR and LF with the two characters `\r` / `\n` (and NEL, LS,
 * PS with `\u0085`, `\u2028`, `\u2029`), so a value that carries a line
 * break can never split one message over two lines (and never forge a second
 * log line in the output).
 */
export function escapeNewlines(text: string): string {
  NEWLINES.lastIndex = 0;
  return NEWLINES.test(text) ? text.replace(NEWLINES, escapeNewline) : text;
}

const isoDate = compileTemplate('${ISODATE}');

// ISODATE is a pure function of (STAMP, offset), and a burst of messages
// shares the millisecond: one cached entry saves most of the formatting.
let lastStamp = NaN;
let lastOffset = NaN;
let lastIsoJson = '';

function isoDateJson(msg: LogMessage): string {
  const stamp = msg.timestampMs;
  const offset = msg.timezoneOffset;
  if (stamp !== lastStamp || offset !== lastOffset) {
    lastIsoJson = jsonString(isoDate(msg));
    lastStamp = stamp;
    lastOffset = offset;
  }
  return lastIsoJson;
}

/**
 * NDJSON: the text of `JSON.stringify(msg.toJSON())` (with NEL/LS/PS escaped),
 * built without the intermediate object for the common message (string,
 * number, boolean and null fields), which measured about twice as fast. Messages with other
 * values, or with an array-index key (which JSON.stringify moves to the
 * front), take the reference path. JSON never holds a raw CR or LF.
 */
function ndjson(msg: LogMessage): string {
  let out = '{';
  let sep = '';
  for (const [key, v] of msg.entries()) {
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57) return jsonStringify(msg.toJSON());
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && v !== null) {
      return jsonStringify(msg.toJSON());
    }
    out +=
      sep + jsonString(key) + ':' + (typeof v === 'string' ? jsonString(v) : JSON.stringify(v));
    sep = ',';
  }
  if (!msg.has('ISODATE')) {
    out += sep + '"ISODATE":' + isoDateJson(msg);
    sep = ',';
  }
  if (!msg.has('PRI')) out += sep + '"PRI":' + msg.getPri();
  return out + '}';
}

/**
 * Builds the per-message line function of a line-oriented destination:
 * `undefined` means NDJSON (`JSON.stringify(msg.toJSON())`), a string is a
 * template whose CR/LF are escaped. The caller appends the newline.
 * @throws ParseError when the template is malformed.
 */
export function lineFormatter(template: string | undefined): LineFormatter {
  if (template === undefined) return ndjson;
  const compiled = compileTemplate(template);
  return (msg) => escapeNewlines(compiled(msg));
}
