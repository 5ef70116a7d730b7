/**
 * The syntax check of NDJSON text as a whole, for LogMessage.fromJsonLines.
 * Lines are separated by LF; a CR before it belongs to the line ending. A line
 * is valid when it is blank (spaces, tabs, CRs) or one JSON text.
 *
 * Most log lines are flat objects: one run of a sticky regular expression
 * checks up to LINES_PER_RUN consecutive such lines, so the per-line cost is
 * the engine's compiled loop alone (a call per line costs about a third
 * more). Compact lines are tried first, then lines with whitespace; a line
 * both stop at is checked alone by the full scan, and the runs resume after it.
 */
import { ParseError } from '../errors.js';
import { flatObjectPattern, scanJsonText, testBounded } from './json-check.js';

// Inside a line only LF cannot appear: it ends the line.
const WS = '[ \\t\\r]*';
/**
 * Lines one run of the expression takes at most. The engine keeps a
 * backtracking entry per repetition: unbounded, a body of millions of lines
 * would grow that stack until it overflows (a RangeError), and slow down long
 * before. A bounded run costs one more call per this many lines.
 */
const LINES_PER_RUN = 64;
// Whole lines, LF included (or the end of the text, for the last): blank, or a
// flat object with whitespace around it.
const FLAT_LINES = new RegExp(
  `(?:${WS}(?:${flatObjectPattern(WS)}${WS})?(?:\\n|$)){0,${LINES_PER_RUN}}`,
  'y',
);
// The same for compact lines (no whitespace, as most loggers write them), about a
// quarter faster: each optional whitespace costs the engine a loop per token.
const COMPACT_LINES = new RegExp(
  `(?:${flatObjectPattern('')}(?:\\r?\\n|$)){0,${LINES_PER_RUN}}`,
  'y',
);

/** 0 when every line of `text` is blank or valid JSON, else the (1-based) number of the first line that is not. */
export function firstInvalidJsonLine(text: string): number {
  const n = text.length;
  let i = 0;
  while (i < n) {
    let next = runEnd(COMPACT_LINES, text, i);
    if (next === i) next = runEnd(FLAT_LINES, text, i);
    if (next > i) {
      i = next;
      continue;
    }
    let end = text.indexOf('\n', i);
    if (end < 0) end = n;
    if (!isBlank(text, i, end) && !scanJsonText(text, i, end)) return lineNumberAt(text, i);
    i = end + 1;
  }
  return 0;
}

/**
 * Where one run of the sticky `re` from `at` ends: after the lines it took
 * (at most LINES_PER_RUN), or `at` when it took none.
 */
function runEnd(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  return testBounded(re, text) ? re.lastIndex : at;
}

/** True when `text` holds only spaces, tabs and CRs between `from` and `to`. */
export function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The ParseError for line `line` of `text`, with JSON.parse's reason. */
export function invalidLine(text: string, line: number): ParseError {
  let start = 0;
  for (let l = 1; l < line; l++) start = text.indexOf('\n', start) + 1;
  const end = text.indexOf('\n', start);
  let cause: unknown = new SyntaxError('invalid JSON');
  try {
    JSON.parse(end < 0 ? text.slice(start) : text.slice(start, end));
  } catch (err) {
    cause = err;
  }
  return new ParseError(`line ${line} is not valid JSON: ${(cause as Error).message}`, {
    line,
    cause,
  });
}
