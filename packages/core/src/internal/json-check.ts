/**
 * A JSON syntax check that builds nothing: `isJsonText(s, from, to)` is true
 * exactly when `JSON.parse(s.slice(from, to))` would succeed. It lets an
 * ingest path refuse a malformed line at once while the objects themselves
 * are built only when a field is read (LogMessage.fromJsonText): on log lines
 * the scan costs a fraction of JSON.parse, which allocates every key and value.
 *
 * Grammar as ECMAScript's JSON.parse implements it (ECMA-404): whitespace is
 * only space, tab, LF and CR (a BOM is not), strings may hold any code unit
 * from U+0020 up including lone surrogates, escapes are `\" \\ \/ \b \f \n \r
 * \t \uXXXX`, numbers are `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
 */

const ARRAY = 1;
const OBJECT = 2;
/** Containers nested deeper than this are left to JSON.parse to judge (see isJsonText). */
export const MAX_CHECK_DEPTH = 512;

// The open containers, innermost last. Shared: the check is synchronous and never re-entered.
const stack = new Uint8Array(MAX_CHECK_DEPTH);

const VALID = 0;
const INVALID = 1;
/** Nested deeper than MAX_CHECK_DEPTH: not decided by the scan. */
const TOO_DEEP = 2;

/**
 * Scans the JSON syntax of `s` between `from` and `to` (exclusive), allowing
 * surrounding whitespace as JSON.parse does: VALID, INVALID or TOO_DEEP.
 */
function scan(s: string, from: number, to: number): number {
  let i = skipWs(s, from, to);
  let depth = 0;
  // Each turn reads one value at `i`, then the separators or closers after it.
  for (;;) {
    if (i >= to) return INVALID;
    let c = s.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(s, i + 1, to);
      if (i < 0) return INVALID;
    } else if (c === 0x7b) {
      // `{`: an empty object, or the first key and its colon
      i = skipWs(s, i + 1, to);
      if (i < to && s.charCodeAt(i) === 0x7d) {
        i++;
      } else {
        if (depth === MAX_CHECK_DEPTH) return TOO_DEEP;
        stack[depth++] = OBJECT;
        i = skipKey(s, i, to);
        if (i < 0) return INVALID;
        continue;
      }
    } else if (c === 0x5b) {
      i = skipWs(s, i + 1, to);
      if (i < to && s.charCodeAt(i) === 0x5d) {
        i++;
      } else {
        if (depth === MAX_CHECK_DEPTH) return TOO_DEEP;
        stack[depth++] = ARRAY;
        continue;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = skipNumber(s, i, to);
      if (i < 0) return INVALID;
    } else if (c === 0x74) {
      if (!s.startsWith('true', i) || i + 4 > to) return INVALID;
      i += 4;
    } else if (c === 0x66) {
      if (!s.startsWith('false', i) || i + 5 > to) return INVALID;
      i += 5;
    } else if (c === 0x6e) {
      if (!s.startsWith('null', i) || i + 4 > to) return INVALID;
      i += 4;
    } else {
      return INVALID;
    }
    // After a value: close containers, or move on to the next member.
    for (;;) {
      i = skipWs(s, i, to);
      if (depth === 0) return i === to ? VALID : INVALID;
      if (i >= to) return INVALID;
      c = s.charCodeAt(i);
      const open = stack[depth - 1];
      if (c === 0x2c) {
        i = skipWs(s, i + 1, to);
        if (open === OBJECT) {
          i = skipKey(s, i, to);
          if (i < 0) return INVALID;
        }
        break;
      }
      if (c === (open === OBJECT ? 0x7d : 0x5d)) {
        depth--;
        i++;
        continue;
      }
      return INVALID;
    }
  }
}

// A flat object (scalar values only, the shape of most log lines) in one regular
// expression: the engine's compiled loops beat a char-by-char scan 2 to 1. Every
// quantifier has one way to match (strings unrolled as normal* (escape normal*)*),
// so the match is linear. Anything else falls back to the scan.
const STR = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
const VAL = String.raw`(?:${STR}|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)`;

/**
 * The source of a regular expression matching one flat JSON object, with
 * `ws` (a pattern) as the whitespace allowed between its tokens.
 */
export function flatObjectPattern(ws: string): string {
  const member = `${STR}${ws}:${ws}${VAL}${ws}`;
  return `\\{${ws}(?:${member}(?:,${ws}${member})*)?\\}`;
}

const WS = '[ \\t\\n\\r]*';
const FLAT_OBJECT = new RegExp(`${WS}${flatObjectPattern(WS)}`, 'y');
// Compact objects (no whitespace, as most loggers write them) first: each optional
// whitespace costs the engine a loop per token, a quarter of the time on log lines.
const COMPACT_OBJECT = new RegExp(flatObjectPattern(''), 'y');

/** True when `s.slice(from, to)` is valid JSON, deciding deep nesting with JSON.parse. */
export function isJsonText(s: string, from: number, to: number): boolean {
  if (matchesTo(COMPACT_OBJECT, s, from, to) || matchesTo(FLAT_OBJECT, s, from, to)) return true;
  return scanJsonText(s, from, to);
}

/** `re` (sticky) matches at `from` and ends at `to`, or only whitespace follows up to it. */
function matchesTo(re: RegExp, s: string, from: number, to: number): boolean {
  re.lastIndex = from;
  // The match may run past `to` (into the next line): then it proves nothing here.
  return testBounded(re, s) && re.lastIndex <= to && skipWs(s, re.lastIndex, to) === to;
}

/**
 * `re.test(s)`, or false when the engine gave up: it keeps a backtracking
 * entry per repetition, and input such as an object of millions of members
 * overflows that stack (a RangeError). The caller's scan, which keeps no such
 * stack, then decides.
 */
export function testBounded(re: RegExp, s: string): boolean {
  try {
    return re.test(s);
  } catch {
    return false;
  }
}

/** isJsonText without its flat-object shortcut, for text that a caller's expression already refused. */
export function scanJsonText(s: string, from: number, to: number): boolean {
  const r = scan(s, from, to);
  if (r !== TOO_DEEP) return r === VALID;
  try {
    JSON.parse(from === 0 && to === s.length ? s : s.slice(from, to));
    return true;
  } catch {
    return false;
  }
}

function skipWs(s: string, i: number, to: number): number {
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** At a key (whitespace already skipped): the string, whitespace and colon; returns the index after them, or -1. */
function skipKey(s: string, i: number, to: number): number {
  if (i >= to || s.charCodeAt(i) !== 0x22) return -1;
  i = skipString(s, i + 1, to);
  if (i < 0) return -1;
  i = skipWs(s, i, to);
  if (i >= to || s.charCodeAt(i) !== 0x3a) return -1;
  return skipWs(s, i + 1, to);
}

/** After an opening quote: returns the index after the closing one, or -1. */
function skipString(s: string, i: number, to: number): number {
  while (i < to) {
    const c = s.charCodeAt(i++);
    if (c === 0x22) return i;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      if (i >= to) return -1;
      const e = s.charCodeAt(i++);
      if (e === 0x75) {
        if (i + 4 > to) return -1;
        for (const end = i + 4; i < end; i++) if (!isHex(s.charCodeAt(i))) return -1;
      } else if (
        e !== 0x22 &&
        e !== 0x5c &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      ) {
        return -1;
      }
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function skipDigits(s: string, i: number, to: number): number {
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** At `-` or a digit: returns the index after the number, or -1. */
function skipNumber(s: string, i: number, to: number): number {
  if (s.charCodeAt(i) === 0x2d) i++;
  if (i >= to) return -1;
  const c = s.charCodeAt(i);
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) i = skipDigits(s, i + 1, to);
  else return -1;
  if (i < to && s.charCodeAt(i) === 0x2e) {
    const j = skipDigits(s, i + 1, to);
    if (j === i + 1) return -1;
    i = j;
  }
  if (i < to && (s.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i < to && (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d)) i++;
    const j = skipDigits(s, i, to);
    if (j === i) return -1;
    i = j;
  }
  return i;
}
