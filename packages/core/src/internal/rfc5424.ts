import type { LogMessage } from '../log-message.js';

/**
 * A parsed ISO 8601 / RFC 3339 timestamp. `wallMs` is the written wall-clock
 * time read as if it were UTC; `offset` is the written zone in minutes east of
 * UTC, `undefined` when the stamp had none.
 */
export interface IsoStamp {
  wallMs: number;
  offset: number | undefined;
  /** Index just past the stamp. */
  end: number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`, proleptic Gregorian. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * Reads `n` ASCII digits at `i`; -1 when any of them is not a digit. Fixed
 * width on purpose: it keeps every timestamp scan bounded.
 */
export function readDigits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Validates date and time fields; a leap second (60) is accepted and folded
 * into :59 because `Date` cannot represent it. Unlike `Date.UTC`, years 0–99
 * are not mapped to 1900–1999.
 * @returns the wall time as UTC milliseconds, or NaN when out of range.
 */
export function wallMs(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return NaN;
  if (h > 23 || mi > 59 || s > 60) return NaN;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s === 60 ? 59 : s, ms));
  if (y < 100) date.setUTCFullYear(y, mo - 1, d);
  return date.getTime();
}

/**
 * Converts a wall-clock time to an instant and the offset it is in: the
 * written offset when there is one, else `tzOffsetMinutes`, else the local
 * zone at that date (so DST is honoured).
 */
export function wallToInstant(
  wall: number,
  offset: number | undefined,
  tzOffsetMinutes: number | undefined,
): [ms: number, offset: number] {
  const off = offset ?? tzOffsetMinutes;
  if (off !== undefined) return [wall - off * 60_000, off];
  const w = new Date(wall);
  const local = new Date(
    w.getUTCFullYear(),
    w.getUTCMonth(),
    w.getUTCDate(),
    w.getUTCHours(),
    w.getUTCMinutes(),
    w.getUTCSeconds(),
    w.getUTCMilliseconds(),
  );
  if (w.getUTCFullYear() < 100)
    local.setFullYear(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate());
  return [local.getTime(), -local.getTimezoneOffset() || 0];
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]` at `pos`. Fractions are
 * truncated to milliseconds.
 * @param requireOffset - RFC 5424 requires the zone; the rsyslog-style RFC
 *   3164 variant may omit it.
 */
export function parseIsoStamp(
  s: string,
  pos: number,
  requireOffset: boolean,
): IsoStamp | undefined {
  const y = readDigits(s, pos, 4);
  const mo = readDigits(s, pos + 5, 2);
  const d = readDigits(s, pos + 8, 2);
  const h = readDigits(s, pos + 11, 2);
  const mi = readDigits(s, pos + 14, 2);
  const sec = readDigits(s, pos + 17, 2);
  if ((y | mo | d | h | mi | sec) < 0) return undefined;
  const t = s[pos + 10];
  if (s[pos + 4] !== '-' || s[pos + 7] !== '-' || (t !== 'T' && t !== 't')) return undefined;
  if (s[pos + 13] !== ':' || s[pos + 16] !== ':') return undefined;
  let i = pos + 19;
  let ms = 0;
  if (s[i] === '.') {
    const start = ++i;
    while (i < s.length && readDigits(s, i, 1) >= 0) i++;
    if (i === start) return undefined;
    ms = Number((s.slice(start, Math.min(i, start + 3)) + '00').slice(0, 3));
  }
  let offset: number | undefined;
  const z = s[i];
  if (z === 'Z' || z === 'z') {
    offset = 0;
    i++;
  } else if (z === '+' || z === '-') {
    const oh = readDigits(s, i + 1, 2);
    const om = readDigits(s, i + 4, 2);
    if (oh < 0 || om < 0 || s[i + 3] !== ':' || oh > 23 || om > 59) return undefined;
    offset = (z === '-' ? -1 : 1) * (oh * 60 + om) || 0;
    i += 6;
  } else if (requireOffset) {
    return undefined;
  }
  const wall = wallMs(y, mo, d, h, mi, sec, ms);
  return Number.isNaN(wall) ? undefined : { wallMs: wall, offset, end: i };
}

/** Header tokens are visible characters; control characters mean "not 5424". */
function tokenEnd(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127) break;
    i++;
  }
  return i;
}

/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"` (RFC 5424 §6.3.2). */
function sdNameEnd(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
    i++;
  }
  return i;
}

/**
 * Parses one or more SD-ELEMENTs at `i`. Collects the params instead of
 * setting them so a malformed tail leaves no half-parsed SDATA behind.
 */
function parseSd(s: string, i: number): { end: number; params: [string, string][] } | undefined {
  const params: [string, string][] = [];
  while (s[i] === '[') {
    const idEnd = sdNameEnd(s, ++i);
    if (idEnd === i) return undefined;
    const id = s.slice(i, idEnd);
    i = idEnd;
    while (s[i] === ' ') {
      const nameEnd = sdNameEnd(s, ++i);
      if (nameEnd === i || s[nameEnd] !== '=' || s[nameEnd + 1] !== '"') return undefined;
      const name = s.slice(i, nameEnd);
      i = nameEnd + 2;
      let value = '';
      let seg = i;
      for (;;) {
        if (i >= s.length) return undefined;
        const c = s.charCodeAt(i);
        if (c === 34) break;
        if (c === 92) {
          const next = s[i + 1];
          // Only \" \\ \] are escapes; any other backslash is literal (§6.3.3).
          if (next === '"' || next === '\\' || next === ']') {
            value += s.slice(seg, i) + next;
            i += 2;
            seg = i;
            continue;
          }
        }
        i++;
      }
      params.push([`SDATA.${id}.${name}`, value + s.slice(seg, i)]);
      i++;
    }
    if (s[i] !== ']') return undefined;
    i++;
  }
  return { end: i, params };
}

function setMessage(msg: LogMessage, text: string): void {
  msg.set('MESSAGE', text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/**
 * Parses the RFC 5424 part after `<PRI>`. Sets nothing and returns false
 * unless VERSION, TIMESTAMP and the four header tokens are well formed. A
 * structured-data part that is malformed (or missing) is not fatal: it stays
 * in MESSAGE and no SDATA field is set.
 */
export function parseRfc5424(s: string, pos: number, msg: LogMessage): boolean {
  if (s[pos] !== '1' || s[pos + 1] !== ' ') return false;
  let i = pos + 2;
  let stamp: IsoStamp | undefined;
  if (s[i] === '-' && s[i + 1] === ' ') {
    i += 2;
  } else {
    stamp = parseIsoStamp(s, i, true);
    if (stamp === undefined || s[stamp.end] !== ' ') return false;
    i = stamp.end + 1;
  }
  const header: string[] = [];
  for (let k = 0; k < 4; k++) {
    const end = tokenEnd(s, i);
    if (end === i || (end < s.length && s[end] !== ' ')) return false;
    header.push(s.slice(i, end));
    i = end === s.length ? end : end + 1;
    if (end === s.length && k < 3) return false;
  }
  if (stamp !== undefined) msg.setTimestamp(stamp.wallMs - stamp.offset! * 60_000, stamp.offset);
  const names = ['HOST', 'PROGRAM', 'PID', 'MSGID'];
  for (let k = 0; k < 4; k++) if (header[k] !== '-') msg.set(names[k]!, header[k]!);

  if (s[i] === '-' && (i + 1 === s.length || s[i + 1] === ' ')) {
    i++;
  } else if (s[i] === '[') {
    const sd = parseSd(s, i);
    if (sd !== undefined && (sd.end === s.length || s[sd.end] === ' ')) {
      msg.set('SDATA', s.slice(i, sd.end));
      for (const [name, value] of sd.params) msg.set(name, value);
      i = sd.end;
    }
  }
  if (s[i] === ' ') i++;
  setMessage(msg, s.slice(i));
  return true;
}
