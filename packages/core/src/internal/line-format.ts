import type { LogMessage } from '../log-message.js';
import { compileTemplate } from '../template.js';

/** Formats one message as one line, without the trailing newline. */
export type LineFormatter = (msg: LogMessage) => string;

const NEWLINES = /[\r\n]/g;
/** Characters JSON must escape, plus surrogates (a lone one is escaped, a pair is not). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const JSON_UNSAFE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(s), skipping its escaping pass for the common string that needs none. */
function jsonString(s: string): string {
  return JSON_UNSAFE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function escapeNewline(c: string): string {
  return c === '\n' ? '\\n' : '\\r';
}

/**
 * Replaces every CR and LF with the two characters `\r` / `\n`, so a value
 * that carries a line break can never split one message over two lines (and
 * never forge a second log line in the output).
 */
export function escapeNewlines(text: string): string {
  // indexOf first: the common line has no break, and then no regex runs.
  if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0) return text;
  return text.replace(NEWLINES, escapeNewline);
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
 * NDJSON: the exact text of `JSON.stringify(msg.toJSON())`, built without the
 * intermediate object for the common message (string, number, boolean and
 * null fields), which measured about twice as fast. Messages with other
 * values, or with an array-index key (which JSON.stringify moves to the
 * front), take the reference path. JSON never holds a raw CR or LF.
 */
function ndjson(msg: LogMessage): string {
  let out = '{';
  let sep = '';
  for (const [key, v] of msg.entries()) {
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57) return JSON.stringify(msg.toJSON());
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && v !== null) {
      return JSON.stringify(msg.toJSON());
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
