import { resolve, sep } from 'node:path';
import type { LogMessage } from '../log-message.js';
import { compileTemplate, LogTemplate } from '../template.js';

const SEPARATORS = /[/\\\0]/;
const SEPARATORS_ALL = /[/\\\0]/g;

/**
 * Makes one expanded macro value safe to put into a file path: `/`, `\` and
 * NUL become `_`, and a value (or a piece of it between separators) that is
 * `.` or `..` becomes `_` / `__`, so a value can name a file but never a
 * directory elsewhere.
 */
export function sanitizePathValue(value: string): string {
  if (value === '..') return '__';
  if (value === '.') return '_';
  if (!SEPARATORS.test(value)) return value;
  return value
    .split(SEPARATORS_ALL)
    .map((piece) => (piece === '..' ? '__' : piece === '.' ? '_' : piece))
    .join('_');
}

/**
 * A file path with macros, e.g. `/var/log/${HOST}/app.log`. Each macro value
 * is sanitized on its own ({@link sanitizePathValue}); then each path segment
 * that holds a macro and came out empty, `.` or `..` (an empty value, or
 * `${A}.${B}` with both empty) becomes `_` / `_` / `__`, so a value can never
 * remove a directory level: with `/l/${A}/${B}`, A `""` would otherwise make
 * `/l/x` a file while another message's `/l/x/y` needs it as a directory.
 * The result must still resolve strictly below `baseDir`, the directory part
 * before the first `$`, which catches what the literal part adds (`/../`).
 *
 * The syntax is the template syntax (`${NAME}`, `$NAME`, `$$`), parsed the
 * same way as {@link compileTemplate}.
 */
export class PathTemplate {
  /** The absolute directory every expanded path must stay under. */
  readonly baseDir: string;
  readonly #prefix: string;
  readonly #cwd: string;
  readonly #literals: string[] = [];
  readonly #values: LogTemplate[] = [];
  /** Per literal: index of its first and of its last separator, -1 without one. */
  readonly #firstSep: number[] = [];
  readonly #lastSep: number[] = [];

  /**
   * @param path - the path template; relative paths resolve against `cwd`.
   * @throws ParseError when the template is malformed.
   */
  constructor(
    readonly source: string,
    cwd = process.cwd(),
  ) {
    compileTemplate(source); // validates, with the template engine's own error messages
    this.#cwd = cwd;
    const head = source.slice(0, source.indexOf('$') < 0 ? source.length : source.indexOf('$'));
    const lastSep = Math.max(head.lastIndexOf('/'), sep === '\\' ? head.lastIndexOf('\\') : -1);
    this.baseDir = resolve(cwd, lastSep < 0 ? '.' : head.slice(0, lastSep + 1));
    this.#prefix = this.baseDir.endsWith(sep) ? this.baseDir : this.baseDir + sep;
    this.#parse(source);
    for (const lit of this.#literals) {
      let first = -1;
      let last = -1;
      for (let i = 0; i < lit.length; i++) {
        if (!isSeparator(lit.charCodeAt(i))) continue;
        if (first < 0) first = i;
        last = i;
      }
      this.#firstSep.push(first);
      this.#lastSep.push(last);
    }
  }

  /**
   * The path for `msg`, with every macro value sanitized and no macro segment
   * empty, `.` or `..`; not yet resolved or checked.
   */
  expand(msg: LogMessage): string {
    const lit = this.#literals;
    const vals = this.#values;
    const n = vals.length;
    let out = lit[0]!;
    // Where the segment holding the next macro starts in `out`.
    let segStart = this.#lastSep[0]! + 1;
    for (let k = 0; k < n; k++) {
      out += sanitizePathValue(vals[k]!.format(msg));
      const next = lit[k + 1]!;
      const first = this.#firstSep[k + 1]!;
      if (first < 0 && k + 1 < n) {
        out += next; // the segment goes on into the next macro
        continue;
      }
      const segEnd = first < 0 ? next.length : first;
      // Only a segment of at most two characters can be empty, `.` or `..`: the rest cost nothing.
      if (out.length - segStart + segEnd <= 2) {
        const seg = out.slice(segStart) + next.slice(0, segEnd);
        const safe = seg === '' || seg === '.' ? '_' : seg === '..' ? '__' : seg;
        out = out.slice(0, segStart) + safe + next.slice(segEnd);
      } else {
        out += next;
      }
      if (first >= 0) segStart = out.length - next.length + this.#lastSep[k + 1]! + 1;
    }
    return out;
  }

  /**
   * The absolute path of an expanded path, or `undefined` when it is not
   * strictly below `baseDir` or could not be opened because a name in it is
   * too long (over 255 bytes, or the path over 4095): such a file cannot
   * exist, and trying would fail the whole batch it is in.
   */
  confine(expanded: string): string | undefined {
    const p = resolve(this.#cwd, expanded);
    return p.length > this.#prefix.length && p.startsWith(this.#prefix) && fitsFileSystem(p)
      ? p
      : undefined;
  }

  #parse(t: string): void {
    let lit = '';
    let i = 0;
    while (i < t.length) {
      const d = t.indexOf('$', i);
      if (d < 0) {
        lit += t.slice(i);
        break;
      }
      lit += t.slice(i, d);
      const next = t.charCodeAt(d + 1);
      let name: string;
      if (next === 36 /* $ */) {
        lit += '$';
        i = d + 2;
        continue;
      } else if (next === 123 /* { */) {
        const close = t.indexOf('}', d + 2); // compileTemplate has rejected an unterminated one
        name = t.slice(d + 2, close);
        i = close + 1;
      } else {
        let j = d + 1;
        while (j < t.length && isBareNameChar(t.charCodeAt(j))) j++;
        if (j === d + 1) {
          lit += '$';
          i = d + 1;
          continue;
        }
        name = t.slice(d + 1, j);
        i = j;
      }
      this.#literals.push(lit);
      this.#values.push(new LogTemplate('${' + name + '}'));
      lit = '';
    }
    this.#literals.push(lit);
  }
}

/** NAME_MAX and PATH_MAX of Linux; other common file systems allow no more. */
const NAME_MAX = 255;
const PATH_MAX = 4095;

function fitsFileSystem(p: string): boolean {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: short paths need no counting.
  if (p.length * 3 <= NAME_MAX) return true;
  if (Buffer.byteLength(p) > PATH_MAX) return false;
  for (const name of p.split(sep)) {
    if (name.length * 3 > NAME_MAX && Buffer.byteLength(name) > NAME_MAX) return false;
  }
  return true;
}

function isSeparator(c: number): boolean {
  return c === 47 /* / */ || (sep === '\\' && c === 92); /* \ on Windows */
}

function isBareNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
