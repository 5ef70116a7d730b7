import type { LogMessage } from '../log-message.js';
import { parseIsoStamp, readDigits, wallMs, wallToInstant } from './rfc5424.js';

/** What the RFC 3164 parser needs from the caller's options, resolved. */
export interface Rfc3164Context {
  tzOffsetMinutes: number | undefined;
  year: number | undefined;
  /** Reference time for year inference, ms since the epoch. */
  now: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86_400_000;

interface Stamp {
  ms: number;
  offset: number;
  end: number;
}

/** The year `now` falls in, in the zone the stamp will be read in. */
function currentYear(now: number, tz: number | undefined): number {
  return tz === undefined
    ? new Date(now).getFullYear()
    : new Date(now + tz * 60_000).getUTCFullYear();
}

/**
 * Parses `Mmm dd hh:mm:ss[.frac]` (day space- or zero-padded, or unpadded) and
 * the Cisco-style `Mmm dd yyyy hh:mm:ss`. Without a year the current one is
 * assumed, or the previous one when that would put the stamp more than a day
 * in the future (a December line read in January).
 */
function parseBsdStamp(s: string, i: number, ctx: Rfc3164Context): Stamp | undefined {
  const month = MONTHS.indexOf(s.slice(i, i + 3).toLowerCase()) + 1;
  if (month === 0 || s[i + 3] !== ' ') return undefined;
  i += 4;
  if (s[i] === ' ') i++;
  let day = readDigits(s, i, 2);
  if (day >= 0) i += 2;
  else if ((day = readDigits(s, i, 1)) >= 0) i += 1;
  else return undefined;
  if (s[i] !== ' ') return undefined;
  i++;
  let year = ctx.year;
  const written = readDigits(s, i, 4);
  if (written >= 0 && s[i + 4] === ' ') {
    year = written;
    i += 5;
  }
  const h = readDigits(s, i, 2);
  const mi = readDigits(s, i + 3, 2);
  const sec = readDigits(s, i + 6, 2);
  if ((h | mi | sec) < 0 || s[i + 2] !== ':' || s[i + 5] !== ':') return undefined;
  i += 8;
  let ms = 0;
  if (s[i] === '.' && readDigits(s, i + 1, 1) >= 0) {
    const start = ++i;
    while (i < s.length && readDigits(s, i, 1) >= 0) i++;
    ms = Number((s.slice(start, Math.min(i, start + 3)) + '00').slice(0, 3));
  }
  const at = (y: number): [number, number] | undefined => {
    const wall = wallMs(y, month, day, h, mi, sec, ms);
    return Number.isNaN(wall) ? undefined : wallToInstant(wall, undefined, ctx.tzOffsetMinutes);
  };
  let r: [number, number] | undefined;
  if (year !== undefined) {
    r = at(year);
  } else {
    const y = currentYear(ctx.now, ctx.tzOffsetMinutes);
    r = at(y);
    // Feb 29 of a non-leap current year is also retried as last year.
    if (r === undefined || r[0] > ctx.now + DAY_MS) r = at(y - 1);
  }
  return r === undefined ? undefined : { ms: r[0], offset: r[1], end: i };
}

function parseStamp(s: string, i: number, ctx: Rfc3164Context): Stamp | undefined {
  const bsd = parseBsdStamp(s, i, ctx);
  if (bsd !== undefined) return bsd;
  const iso = parseIsoStamp(s, i, false);
  if (iso === undefined) return undefined;
  const [ms, offset] = wallToInstant(iso.wallMs, iso.offset, ctx.tzOffsetMinutes);
  return { ms, offset, end: iso.end };
}

/**
 * Hostnames, IPv4/IPv6 addresses (with a %zone) and `user@host` relays;
 * anything else (a comma, a quote) means the token is already message text.
 * A single character class: linear, no backtracking.
 */
const HOSTNAME = /^[A-Za-z0-9@:._/%-]+$/;

/**
 * Parses `program[pid]: `, `program[pid] ` or `program: ` at `i` and sets
 * PROGRAM, PID and MESSAGE. A bare word without `:` or `[pid]` is not taken
 * for a program: in free text that guess is wrong more often than right.
 * @returns false (setting nothing) when there is no tag.
 */
function parseTag(s: string, i: number, msg: LogMessage): boolean {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c <= 32 || c === 91 || c === 58) break; // space/control, '[', ':'
    j++;
  }
  if (j === i) return false;
  const program = s.slice(i, j);
  let pid: string | undefined;
  if (s[j] === '[') {
    let k = j + 1;
    while (k < s.length && s[k] !== ']' && s.charCodeAt(k) > 32) k++;
    if (s[k] !== ']') return false;
    pid = s.slice(j + 1, k);
    j = k + 1;
    if (s[j] === ':') j++;
  } else if (s[j] === ':') {
    j++;
  } else {
    return false;
  }
  // "http://x" or "a:b" is text, not a tag.
  if (j < s.length && s[j] !== ' ') return false;
  msg.set('PROGRAM', program);
  if (pid) msg.set('PID', pid);
  msg.set('MESSAGE', s.slice(j < s.length ? j + 1 : j));
  return true;
}

/** A token that is a tag itself, so the sender left out the hostname. */
function looksLikeTag(s: string, start: number, end: number): boolean {
  if (s[end - 1] === ':') return true;
  const bracket = s.indexOf('[', start);
  return bracket >= 0 && bracket < end;
}

/**
 * Parses the RFC 3164 part at `pos` (after `<PRI>` when `hadPri`), always
 * setting MESSAGE. A line with neither PRI nor timestamp is kept whole, since
 * nothing says it is syslog at all.
 */
export function parseRfc3164(
  s: string,
  pos: number,
  msg: LogMessage,
  ctx: Rfc3164Context,
  hadPri: boolean,
): void {
  const stamp = parseStamp(s, pos, ctx);
  if (stamp === undefined || (stamp.end < s.length && s[stamp.end] !== ' ')) {
    if (!hadPri || !parseTag(s, pos, msg)) msg.set('MESSAGE', s.slice(pos));
    return;
  }
  msg.setTimestamp(stamp.ms, stamp.offset);
  let i = stamp.end < s.length ? stamp.end + 1 : stamp.end;
  let end = i;
  while (end < s.length && s.charCodeAt(end) > 32) end++;
  if (!looksLikeTag(s, i, end) && HOSTNAME.test(s.slice(i, end))) {
    msg.set('HOST', s.slice(i, end));
    i = end < s.length ? end + 1 : end;
  }
  if (!parseTag(s, i, msg)) msg.set('MESSAGE', s.slice(i));
}
