import type { LogMessage } from './log-message.js';
import { ParseError } from './errors.js';

/** A compiled template: expands it for one message. */
export type CompiledTemplate = (msg: LogMessage) => string;

type Getter = (msg: LogMessage) => string;

// prettier-ignore
const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const CACHE_MAX = 1000;
const cache = new Map<string, CompiledTemplate>();

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function formatYear(y: number): string {
  if (y >= 0 && y <= 9999) return String(y).padStart(4, '0');
  return (y < 0 ? '-' : '+') + String(Math.abs(y)).padStart(6, '0');
}

function formatOffset(offset: number): string {
  const o = Math.round(offset);
  const a = Math.abs(o);
  return `${o < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
}

/** The wall-clock time at `ms` in `offset`, as a Date read with getUTC*. */
function wall(ms: number, offset: number): Date {
  return new Date(ms + Math.round(offset) * 60_000);
}

// Messages arrive in time order, so most share the second and offset of the one before:
// one cached "YYYY-MM-DDTHH:MM:SS" and offset suffix spare a Date and eight getters each.
let isoSecond = NaN;
let isoOffset = NaN;
let isoHead = '';
let isoTail = '';

function isoDate(ms: number, offset: number): string {
  const frac = ((ms % 1000) + 1000) % 1000;
  const second = ms - frac;
  if (second !== isoSecond || offset !== isoOffset) {
    const d = wall(second, offset);
    isoHead =
      `${formatYear(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}` +
      `T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
    isoTail = formatOffset(offset);
    isoSecond = second;
    isoOffset = offset;
  }
  return isoHead + pad3(Math.trunc(frac)) + isoTail;
}

/** Integer arithmetic, so no float rounding and no wrong sign before 1970. */
function unixTime(ms: number): string {
  const t = Math.trunc(ms);
  const a = Math.abs(t);
  return `${t < 0 ? '-' : ''}${Math.floor(a / 1000)}.${pad3(a % 1000)}`;
}

function localOffset(ms: number): number {
  return -new Date(ms).getTimezoneOffset() || 0;
}

function stampWall(msg: LogMessage): Date {
  return wall(msg.timestampMs, msg.timezoneOffset);
}

// A Map, not an object literal: `${constructor}` must not find Object.prototype.
const MACROS = new Map<string, Getter>([
  ['ISODATE', (m) => isoDate(m.timestampMs, m.timezoneOffset)],
  ['STAMP', (m) => isoDate(m.timestampMs, m.timezoneOffset)],
  [
    'DATE',
    (m) => {
      const d = stampWall(m);
      const day = d.getUTCDate();
      return (
        `${MONTHS[d.getUTCMonth()]!} ${day < 10 ? ` ${day}` : day} ` +
        `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
      );
    },
  ],
  ['UNIXTIME', (m) => unixTime(m.timestampMs)],
  ['R_ISODATE', (m) => isoDate(m.receivedAt, localOffset(m.receivedAt))],
  ['R_UNIXTIME', (m) => unixTime(m.receivedAt)],
  ['YEAR', (m) => formatYear(stampWall(m).getUTCFullYear())],
  ['MONTH', (m) => pad2(stampWall(m).getUTCMonth() + 1)],
  ['DAY', (m) => pad2(stampWall(m).getUTCDate())],
  ['HOUR', (m) => pad2(stampWall(m).getUTCHours())],
  ['MIN', (m) => pad2(stampWall(m).getUTCMinutes())],
  ['SEC', (m) => pad2(stampWall(m).getUTCSeconds())],
  ['PRI', (m) => String(m.getPri())],
  ['FACILITY', (m) => FACILITIES[m.getPri() >> 3] ?? String(m.getPri() >> 3)],
  ['FACILITY_NUM', (m) => String(m.getPri() >> 3)],
  ['SEVERITY', (m) => SEVERITIES[m.getPri() & 7]!],
  ['LEVEL', (m) => SEVERITIES[m.getPri() & 7]!],
  ['SEVERITY_NUM', (m) => String(m.getPri() & 7)],
  ['LEVEL_NUM', (m) => String(m.getPri() & 7)],
]);

function getterFor(name: string): Getter {
  const macro = MACROS.get(name);
  // A field of the same name wins over the macro (as in syslog-ng).
  if (macro !== undefined) return (msg) => msg.getAsString(name) ?? macro(msg);
  return (msg) => msg.getAsString(name) ?? '';
}

/** Bare `$NAME` characters. Dots are excluded so `$HOST.log` means HOST + ".log". */
function isBareNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function describe(template: string): string {
  return JSON.stringify(template.length > 200 ? `${template.slice(0, 200)}…` : template);
}

/**
 * Compiles a template once into a function that expands it per message.
 *
 * Syntax: `${NAME}` (NAME is anything up to the next `}`, e.g.
 * `${SDATA.exampleSDID@32473.iut}`), `$NAME` (NAME is `[A-Za-z0-9_]+`; no
 * dots, so use braces for dotted names), `$$` for a literal `$`. A `$` not
 * followed by a name, `{` or `$` is kept literally. Unset names expand to ''.
 *
 * Macros (a field of the same name wins): ISODATE and STAMP (ISO 8601 with
 * ms and the message's own offset), DATE (`Nov  5 10:00:00`), UNIXTIME
 * (seconds, 3 decimals), YEAR MONTH DAY HOUR MIN SEC (of STAMP, zero-padded),
 * R_ISODATE (receive time in the local zone of this process) and R_UNIXTIME,
 * PRI, FACILITY, FACILITY_NUM, SEVERITY/LEVEL, SEVERITY_NUM/LEVEL_NUM. MSG
 * reads MESSAGE. Other names read the field, stringified like
 * `LogMessage.getAsString`.
 *
 * @throws {ParseError} on an unterminated `${` or an empty `${}`, naming the
 *   template and the 0-based position of the `$`.
 */
export function compileTemplate(template: string): CompiledTemplate {
  const literals: string[] = [];
  const getters: Getter[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      lit += template.slice(i);
      break;
    }
    lit += template.slice(i, d);
    const next = template.charCodeAt(d + 1);
    let name: string;
    if (next === 36) {
      lit += '$';
      i = d + 2;
      continue;
    } else if (next === 123) {
      const close = template.indexOf('}', d + 2);
      if (close < 0) {
        throw new ParseError(
          `Unterminated "\${" at position ${d} in template ${describe(template)}`,
        );
      }
      if (close === d + 2) {
        throw new ParseError(`Empty "\${}" at position ${d} in template ${describe(template)}`);
      }
      name = template.slice(d + 2, close);
      i = close + 1;
    } else {
      let j = d + 1;
      while (j < template.length && isBareNameChar(template.charCodeAt(j))) j++;
      if (j === d + 1) {
        lit += '$';
        i = d + 1;
        continue;
      }
      name = template.slice(d + 1, j);
      i = j;
    }
    literals.push(lit);
    getters.push(getterFor(name));
    lit = '';
  }
  literals.push(lit);

  // Specialised shapes avoid the loop for the most common templates.
  if (getters.length === 0) {
    const text = literals[0]!;
    return () => text;
  }
  if (getters.length === 1) {
    const [before, after] = literals as [string, string];
    const get = getters[0]!;
    return (msg) => before + get(msg) + after;
  }
  const first = literals[0]!;
  const rest = literals.slice(1);
  const n = getters.length;
  return (msg) => {
    let out = first;
    for (let k = 0; k < n; k++) out += getters[k]!(msg) + rest[k]!;
    return out;
  };
}

/**
 * Expands `template` for `msg`, compiling it on first use. Compiled templates
 * are cached (up to 1000; the cache is cleared when full, which is cheap and
 * only matters for programs that build templates dynamically).
 * @throws {ParseError} when the template is malformed (see {@link compileTemplate}).
 */
export function formatTemplate(template: string, msg: LogMessage): string {
  let fn = cache.get(template);
  if (fn === undefined) {
    fn = compileTemplate(template);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(template, fn);
  }
  return fn(msg);
}

/** Number of templates in the {@link formatTemplate} cache. @internal for tests */
export function templateCacheSize(): number {
  return cache.size;
}

/**
 * A template compiled once, for components that format many messages with
 * the same template (destinations, file names).
 * @example new LogTemplate('${ISODATE} ${HOST} ${MSG}\n').format(msg)
 */
export class LogTemplate {
  /** The template text as given. */
  readonly source: string;
  readonly #compiled: CompiledTemplate;

  /**
   * @param template - see {@link compileTemplate} for the syntax and macros.
   * @throws {ParseError} when the template is malformed.
   */
  constructor(template: string) {
    this.source = template;
    this.#compiled = compileTemplate(template);
  }

  /** Expands the template for `msg`. */
  format(msg: LogMessage): string {
    return this.#compiled(msg);
  }
}
