import type { LogMessage } from '../log-message.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424 } from './rfc5424.js';

/** Options of {@link parseSyslog} and `LogMessage.parse`. */
export interface ParseOptions {
  /**
   * Priority (facility * 8 + severity, 0–191) used when the line has no valid
   * `<PRI>`. Default: 13 (user.notice).
   */
  defaultPri?: number;
  /**
   * Offset from UTC in minutes (east positive, e.g. -300 for -05:00) assumed
   * for timestamps that carry no zone: RFC 3164 `Mmm dd hh:mm:ss` stamps and
   * ISO stamps without an offset. Written offsets always win. Default: the
   * local zone at that date.
   */
  tzOffsetMinutes?: number;
  /**
   * Year assumed for RFC 3164 stamps that have none. Default: the current
   * year, or the previous one when the date would be more than one day in the
   * future.
   */
  year?: number;
  /**
   * "Now" for that year inference, as a Date or ms since the epoch.
   * Default: the message's `receivedAt`.
   */
  now?: Date | number;
}

const DEFAULT_PRI = 13;
// ignoreBOM: the parser skips one leading BOM itself; the decoder must not skip another.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function decode(raw: Uint8Array): string {
  try {
    return decoder.decode(raw);
  } catch {
    // TextDecoder refuses views of a SharedArrayBuffer; Buffer does not.
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  }
}

function checkOptions(o: ParseOptions): string[] {
  const issues: string[] = [];
  const { defaultPri: pri, tzOffsetMinutes: tz, year, now } = o;
  if (pri !== undefined && !(Number.isInteger(pri) && pri >= 0 && pri <= 191)) {
    issues.push(`defaultPri must be an integer from 0 to 191, got ${String(pri)}`);
  }
  if (tz !== undefined && !(Number.isInteger(tz) && Math.abs(tz) < 1440)) {
    issues.push(`tzOffsetMinutes must be an integer from -1439 to 1439, got ${String(tz)}`);
  }
  if (year !== undefined && !(Number.isInteger(year) && year >= 0 && year <= 9999)) {
    issues.push(`year must be an integer from 0 to 9999, got ${String(year)}`);
  }
  const nowMs = now instanceof Date ? now.getTime() : now;
  if (nowMs !== undefined && !Number.isFinite(nowMs)) {
    issues.push(`now must be a valid Date or a finite number, got ${String(now)}`);
  }
  return issues;
}

/**
 * Reads `<PRI>` at the start of `s`: 1–3 digits, at most 191.
 * @returns [pri, index after '>'], or undefined when malformed.
 */
function readPri(s: string): [number, number] | undefined {
  let i = 1;
  let pri = 0;
  while (i < 4 && i < s.length) {
    const c = s.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) break;
    pri = pri * 10 + c;
    i++;
  }
  if (i === 1 || s[i] !== '>' || pri > 191) return undefined;
  return [pri, i + 1];
}

/**
 * Parses one syslog line into `msg`, setting PRI, STAMP (with its written
 * offset), HOST, PROGRAM, PID, MSGID, `SDATA` (the raw structured data),
 * `SDATA.<SD-ID>.<PARAM>` fields and MESSAGE. RFC 5424 is tried first, then
 * RFC 3164 (BSD or ISO timestamp, hostname optional). Trailing CR, LF and NUL
 * characters are dropped, bytes are decoded as UTF-8 (invalid sequences become
 * U+FFFD) and a leading byte order mark is skipped.
 *
 * Never throws on input and runs in linear time: a line that is not syslog,
 * or whose `<PRI>` is malformed or above 191, is kept whole as MESSAGE with
 * the default priority. MESSAGE is always set; STAMP stays the receive time
 * when the line has no usable timestamp; "-" (NILVALUE) fields are not set.
 * When an RFC 5424 structured-data part is malformed it is left in MESSAGE.
 * Repeated SD params keep the last value (the raw `SDATA` keeps all).
 *
 * @param raw - the line, as text or as bytes.
 * @param msg - the message to fill, through its public API.
 * @param options - see {@link ParseOptions}.
 * @throws {ConfigError} (code `ERR_INVALID_OPTION`) when an option is out of range.
 */
export function parseSyslog(
  raw: string | Uint8Array,
  msg: LogMessage,
  options: ParseOptions = {},
): void {
  const issues = checkOptions(options);
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });

  let s = typeof raw === 'string' ? raw : decode(raw);
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 10 && c !== 13 && c !== 0) break;
    end--;
  }
  if (end < s.length) s = s.slice(0, end);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);

  const pri = s[0] === '<' ? readPri(s) : undefined;
  if (s[0] === '<' && pri === undefined) {
    msg.setPri(options.defaultPri ?? DEFAULT_PRI);
    msg.set('MESSAGE', s);
    return;
  }
  msg.setPri(pri?.[0] ?? options.defaultPri ?? DEFAULT_PRI);
  const pos = pri?.[1] ?? 0;
  if (pri !== undefined && parseRfc5424(s, pos, msg)) return;
  const now = options.now;
  parseRfc3164(
    s,
    pos,
    msg,
    {
      tzOffsetMinutes: options.tzOffsetMinutes,
      year: options.year,
      now: now === undefined ? msg.receivedAt : typeof now === 'number' ? now : now.getTime(),
    },
    pri !== undefined,
  );
}
