import { isDeepStrictEqual } from 'node:util';

/**
 * Reads the option tables of a Markdown document so a test can hold them
 * against the code's defaults, and the docs cannot drift.
 *
 * The format, kept simple so people write it without thinking:
 *
 * - A section starts at a heading (`#` to `######`) and runs to the next one.
 * - An option table is a Markdown table whose header has an `option` (or
 *   `field`) column and a `default` column; other columns are free.
 * - A line `Defaults: \`DEFAULT_X\`` in a section links it to the frozen
 *   defaults object of that name.
 * - A default cell is a *literal* when the whole cell, after an optional
 *   trailing `(note)` and one surrounding code span, is a JS literal: a number
 *   (`1000`, `10_000`, `0o640`), `true`/`false`/`null`/`undefined`, a quoted
 *   string (`"info"` or `'info'`), or JSON (`{}`, `[]`). Anything else
 *   ("required", "none", `source.<name>`) is prose and is not checked.
 *
 * A literal is a claim about the code: {@link checkOptionSection} reports a
 * literal that nothing checks, so every default written as one is verified.
 */

/** A documented default: a literal value, or prose that no test can check. */
export type DocumentedDefault =
  { readonly literal: true; readonly value: unknown } | { readonly literal: false };

/** One row of an option table. */
export interface OptionRow {
  /** The option's name, without backticks (`log.level`). */
  readonly option: string;
  /** The default cell as written. */
  readonly cell: string;
  readonly default: DocumentedDefault;
  /** 1-based line number in the document. */
  readonly line: number;
}

/** A section of the document that has an option table or a `Defaults:` line. */
export interface OptionSection {
  /** The heading text, without the `#`s. */
  readonly heading: string;
  /** 1-based line number of the heading (0 for text before any heading). */
  readonly line: number;
  /** The name given by `Defaults: \`DEFAULT_X\``, if any. */
  readonly defaultsName: string | undefined;
  readonly rows: readonly OptionRow[];
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const DEFAULTS_LINE = /^Defaults:\s*`([A-Za-z0-9_$]+)`/;
const NUMBER = /^-?(?:\d[\d_]*)(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const RADIX = /^0[xob][0-9a-f_]+$/i;

/** Splits a table row into cells; `|` inside a code span or escaped as `\|` does not split. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let inCode = false;
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && body[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (c === '`') {
      inCode = !inCode;
      cur += c;
    } else if (c === '|' && !inCode) {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

function isTableLine(line: string): boolean {
  return line.trim().startsWith('|');
}

function isSeparator(cells: readonly string[]): boolean {
  return cells.every((c) => /^:?-{3,}:?$/.test(c));
}

function stripCode(text: string): string {
  const t = text.trim();
  return /^`[^`]*`$/.test(t) ? t.slice(1, -1) : t;
}

/**
 * Parses a default cell (see the module notes for what counts as a literal).
 * @example parseDefaultCell('`1048576` (1 MiB)') // { literal: true, value: 1048576 }
 */
export function parseDefaultCell(cell: string): DocumentedDefault {
  let t = cell.trim();
  // One trailing "(note)" is commentary, not part of the value.
  const note = /^(`[^`]*`|[^(`]+?)\s+\(.*\)$/.exec(t);
  if (note) t = note[1]!;
  if ((t.match(/`/g) ?? []).length > 2) return { literal: false };
  t = stripCode(t);
  if (t.includes('`')) return { literal: false };
  if (t === 'undefined') return { literal: true, value: undefined };
  if (t === 'true' || t === 'false' || t === 'null') {
    return { literal: true, value: JSON.parse(t) as unknown };
  }
  if (NUMBER.test(t)) return { literal: true, value: Number(t.replace(/_/g, '')) };
  if (RADIX.test(t)) return { literal: true, value: Number(t.replace(/_/g, '')) };
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'") && !t.slice(1, -1).includes("'")) {
    return { literal: true, value: t.slice(1, -1) };
  }
  if (/^["{[]/.test(t)) {
    try {
      return { literal: true, value: JSON.parse(t) as unknown };
    } catch {
      return { literal: false };
    }
  }
  return { literal: false };
}

/**
 * Finds every section that has an option table or a `Defaults:` line, with
 * the rows of all its option tables. Code blocks are skipped.
 */
export function parseOptionSections(markdown: string): OptionSection[] {
  const lines = markdown.split(/\r?\n/);
  const out: OptionSection[] = [];
  let heading = '';
  let headingLine = 0;
  let defaultsName: string | undefined;
  let rows: OptionRow[] = [];
  let fence = false;
  const close = (): void => {
    if (rows.length > 0 || defaultsName !== undefined) {
      out.push({ heading, line: headingLine, defaultsName, rows });
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      continue;
    }
    if (fence) continue;
    const h = HEADING.exec(line);
    if (h) {
      close();
      heading = h[2]!;
      headingLine = i + 1;
      defaultsName = undefined;
      rows = [];
      continue;
    }
    const d = DEFAULTS_LINE.exec(line.trim());
    if (d) {
      defaultsName = d[1];
      continue;
    }
    if (!isTableLine(line)) continue;
    // A table: the header, the separator, then rows until a line that is not a row.
    const header = splitRow(line).map((c) => stripCode(c).toLowerCase());
    const next = lines[i + 1];
    if (next === undefined || !isTableLine(next) || !isSeparator(splitRow(next))) continue;
    const nameCol = header.findIndex((c) => c === 'option' || c === 'field');
    const defaultCol = header.indexOf('default');
    let j = i + 2;
    for (; j < lines.length && isTableLine(lines[j]!); j++) {
      if (nameCol < 0 || defaultCol < 0) continue;
      const cells = splitRow(lines[j]!);
      const cell = cells[defaultCol] ?? '';
      rows.push({
        option: stripCode(cells[nameCol] ?? ''),
        cell,
        default: parseDefaultCell(cell),
        line: j + 1,
      });
    }
    i = j - 1;
  }
  close();
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return JSON.stringify(value) ?? typeof value;
}

/**
 * Checks one section against the defaults the code has. Returns one sentence
 * per problem (empty when the section is right):
 * - an option of `expected` without a row, or whose default is prose or differs;
 * - a row with a literal default that `expected` does not have (an unchecked claim);
 * - an option documented twice.
 */
export function checkOptionSection(
  section: OptionSection,
  expected: Readonly<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const where = `"${section.heading}" (line ${section.line})`;
  const byName = new Map<string, OptionRow>();
  for (const row of section.rows) {
    if (byName.has(row.option)) {
      problems.push(`${where}: option "${row.option}" is documented twice (line ${row.line})`);
    }
    byName.set(row.option, row);
  }
  for (const [option, value] of Object.entries(expected)) {
    const row = byName.get(option);
    if (row === undefined) {
      problems.push(`${where}: option "${option}" is missing (its default is ${show(value)})`);
    } else if (!row.default.literal) {
      problems.push(
        `${where}: the default of "${option}" (line ${row.line}) must be written as a literal, ` +
          `e.g. \`${show(value)}\`, got ${JSON.stringify(row.cell)}`,
      );
    } else if (!isDeepStrictEqual(row.default.value, value)) {
      problems.push(
        `${where}: the default of "${option}" (line ${row.line}) is documented as ` +
          `${show(row.default.value)}, but the code has ${show(value)}`,
      );
    }
  }
  for (const row of section.rows) {
    if (row.default.literal && !Object.hasOwn(expected, row.option)) {
      problems.push(
        `${where}: the default of "${row.option}" (line ${row.line}) is a literal that no test ` +
          'checks; check it against the code, or write it as prose',
      );
    }
  }
  return problems;
}

/** What {@link checkOptionsDoc} holds a document against. */
export interface OptionsDocExpectations {
  /**
   * Frozen defaults objects by name. Each must be linked by exactly one
   * section's `Defaults:` line, whose table must document each of its keys.
   */
  readonly defaults: Readonly<Record<string, object>>;
  /** Further defaults by section heading, e.g. read from the code at run time. */
  readonly derived?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Checks a whole document: every defaults object is linked and matches its
 * section, every derived heading exists and matches, and no section makes a
 * literal claim that nothing checks. Returns one sentence per problem.
 */
export function checkOptionsDoc(markdown: string, expect: OptionsDocExpectations): string[] {
  const sections = parseOptionSections(markdown);
  const problems: string[] = [];
  const derived = expect.derived ?? {};
  const linked = new Map<string, string>();
  for (const s of sections) {
    const name = s.defaultsName;
    let expected: Record<string, unknown> = {};
    if (name !== undefined) {
      const obj = expect.defaults[name];
      if (obj === undefined) {
        problems.push(`"${s.heading}" (line ${s.line}) names an unknown defaults object ${name}`);
      } else expected = { ...obj };
      const other = linked.get(name);
      if (other !== undefined) {
        problems.push(`${name} is linked by both "${other}" and "${s.heading}"`);
      }
      linked.set(name, s.heading);
    }
    Object.assign(expected, derived[s.heading]);
    problems.push(...checkOptionSection(s, expected));
  }
  for (const name of Object.keys(expect.defaults)) {
    if (!linked.has(name)) {
      problems.push(`${name} is not documented: no section has the line "Defaults: \`${name}\`"`);
    }
  }
  const headings = new Set(sections.map((s) => s.heading));
  for (const heading of Object.keys(derived)) {
    if (!headings.has(heading)) {
      problems.push(`no section "${heading}" with an option table`);
    }
  }
  return problems;
}
