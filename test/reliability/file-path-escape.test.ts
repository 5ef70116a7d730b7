/**
 * FileDestination with path templates fed values built to leave the
 * directory (`..`, `/`, `\`, NUL, URL-encoded dots, Unicode lookalikes, very
 * long names) or to split lines (CR, LF). Afterwards the whole temp tree and
 * the directories above it are walked: nothing may be written outside the
 * base directory, every line must parse and match exactly one message, and a
 * hostile message must not take innocent messages of its batch down with it.
 */
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defineConfig,
  FileDestination,
  LogMessage,
  Pipeline,
  type InternalLogRecord,
} from '@logpath/core';
import { ArraySource } from '@logpath/core/testing';
import { fuzzParams } from './fuzz-support.js';

const MARK = 'ESCAPED';

/** Values that try to name a file outside the directory, or to break a line. */
// prettier-ignore
const NASTY = [
  '..', '.', '../..', `../../../../../../${MARK}`, `/${MARK}`, '/etc/passwd', `\\..\\..\\${MARK}`,
  `..\\${MARK}`, '\0', 'a\0b', '..\0', '%2e%2e', `%2e%2e%2f${MARK}`, `..%2f${MARK}`, '%252e%252e%252f',
  '\u2024\u2024', '\uFF0E\uFF0E', `\u2215${MARK}`, `\uFF0F${MARK}`, '\u29F8', '\u2044', '..\u2215..',
  '~', `~/${MARK}`, '$HOME', '${HOST}', '', ' ', '\n', '\r\n', 'a\nb', '..\n..', '\u2028',
  'x'.repeat(300), 'é'.repeat(200), '/'.repeat(50), 'a/'.repeat(200), '.'.repeat(3), 'CON', '-', '*', '"',
];
const hostileValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  {
    weight: 3,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        '.',
        '.',
        '/',
        '\\',
        '\0',
        '%',
        '2',
        'e',
        'f',
        'a',
        '\u2024',
        '\uFF0E',
        '\uFF0F',
        '\n',
        '\r',
        ' ',
        '~',
        MARK,
      ),
      maxLength: 12,
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Path templates, relative to the base directory; `{base}` is replaced. */
const TEMPLATES = [
  '{base}/${HOST}/${PROGRAM}.log',
  '{base}/${HOST}${PROGRAM}',
  '{base}/${SDATA.x.y}',
  '{base}/pre-${HOST}-${PROGRAM}/${SDATA.x.y}.ndjson',
  '{base}/$HOST/$PROGRAM',
  '{base}/${HOST}/../${PROGRAM}',
  '{base}/${HOST}/../../${PROGRAM}',
];

/** The documented sanitizing of one macro value, written independently of the code. */
function sanitize(v: string): string {
  return v
    .split(/[/\\\0]/)
    .map((piece) => (piece === '..' ? '__' : piece === '.' ? '_' : piece))
    .join('_');
}

interface Sent {
  id: number;
  fields: Record<string, string>;
  /** Where the message belongs; undefined when that is not inside the base directory. */
  file: string | undefined;
}

/** NAME_MAX: a longer file name cannot exist, so such a message cannot be written. */
const nameFits = (file: string): boolean =>
  file.split(sep).every((s) => Buffer.byteLength(s) <= 255);

function expectedFile(
  template: string,
  base: string,
  fields: Record<string, string>,
): string | undefined {
  // A segment holding a macro that comes out empty, '.' or '..' becomes '_' / '_' / '__'.
  const expanded = template
    .split('/')
    .map((segment) => {
      const out = segment.replace(
        /\$\{([^}]+)\}|\$([A-Za-z0-9_]+)/g,
        (_m, braced: string | undefined, bare: string | undefined) =>
          sanitize(fields[(braced ?? bare)!] ?? ''),
      );
      if (!segment.includes('$')) return out;
      return out === '' || out === '.' ? '_' : out === '..' ? '__' : out;
    })
    .join('/')
    .replace('{base}', base);
  const p = resolve(expanded);
  return p.startsWith(base + sep) && p.length > base.length + 1 ? p : undefined;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

/** The directories between `base` (excluded) and `file`. */
function ancestorsBelow(file: string, base: string): string[] {
  const out: string[] = [];
  for (let d = dirname(file); d.length > base.length; d = dirname(d)) out.push(d);
  return out;
}

/** How a templated line writes line breaks: `\r`, `\n`, and NEL/LS/PS as `\u0085` etc. */
const escape = (s: string): string =>
  s
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/[\u0085\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

let suiteRoot: string;
const ancestorsBefore = new Map<string, Set<string>>();
beforeAll(async () => {
  suiteRoot = await mkdtemp(join(tmpdir(), 'logpath-escape-'));
  // The directories above: checked afterwards for anything named after a hostile value.
  for (let d = dirname(suiteRoot); ; d = dirname(d)) {
    ancestorsBefore.set(d, new Set(await readdir(d)));
    if (dirname(d) === d) break;
  }
});

/**
 * Runs `messages` through a FileDestination with `pathTemplate` in a fresh
 * tree `root/a/b/c/logs` (base four levels down, so an escape of up to four
 * levels still lands inside `root`, which is walked), then checks the tree.
 */
async function runAndCheck(
  run: number,
  pathTemplate: string,
  lineTemplate: string | undefined,
  sent: Omit<Sent, 'file'>[],
  batchLines: number,
) {
  const root = join(suiteRoot, `run-${run}`);
  const base = join(root, 'a', 'b', 'c', 'logs');
  await mkdir(base, { recursive: true });
  const sentinels = [
    join(root, 'sentinel'),
    join(root, 'a', 'sentinel'),
    join(root, 'a', 'b', 'c', 'sentinel'),
  ];
  for (const s of sentinels) await writeFile(s, 'untouched');
  const expected: Sent[] = sent.map((s) => ({
    ...s,
    file: expectedFile(pathTemplate, base, s.fields),
  }));
  const messages = sent.map((s) => {
    const m = new LogMessage(s.fields.MESSAGE);
    for (const [k, v] of Object.entries(s.fields)) m.set(k, v);
    return m.set('ID', String(s.id));
  });
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ArraySource, options: { messages } } },
      destinations: {
        out: {
          class: FileDestination,
          options: {
            path: pathTemplate.replace('{base}', base),
            ...(lineTemplate ? { template: lineTemplate } : {}),
          },
          batchLines,
          retries: 2,
          timeReopen: 10,
        },
      },
      logPaths: [{ sources: ['input'], destinations: ['out'] }],
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await pipeline.start();
  const input = pipeline.component('input') as ArraySource;
  await input.allAcked();
  const out = pipeline.component('out') as FileDestination;
  await pipeline.stop();

  // 1. Nothing outside the base directory: only the sentinels (unchanged) and the directories above base.
  const allowed = new Set([
    ...sentinels,
    join(root, 'a'),
    join(root, 'a', 'b'),
    join(root, 'a', 'b', 'c'),
    base,
  ]);
  for (const p of await walk(root)) {
    if (!allowed.has(p)) expect(p.startsWith(base + sep), `${p} is outside ${base}`).toBe(true);
  }
  for (const s of sentinels) expect(await readFile(s, 'utf8')).toBe('untouched');

  // 2. Every line parses and is exactly one message, in the file it belongs in, at most once.
  const seen = new Map<number, string>();
  for (const p of await walk(base)) {
    if (!(await stat(p)).isFile()) continue;
    const text = await readFile(p, 'utf8');
    if (text === '') continue; // a failed flush's lines taken back
    expect(text.endsWith('\n'), `${p} ends with a newline`).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) {
      let id: number;
      if (lineTemplate === undefined) {
        const obj = JSON.parse(line) as Record<string, unknown>;
        id = Number(obj.ID);
        const s = expected[id]!;
        for (const [k, v] of Object.entries(s.fields))
          expect(obj[k], `field ${k} of message ${id}`).toBe(v);
      } else {
        id = Number(line.slice(0, line.indexOf(' ')));
        const s = expected[id]!;
        expect(line).toBe(`${id} ${escape(s.fields.HOST!)} ${escape(s.fields.MESSAGE!)}`);
      }
      expect(seen.has(id), `message ${id} written twice`).toBe(false);
      seen.set(id, p);
    }
  }
  const stats = pipeline.stats().find((s) => s.kind === 'destination')!;
  // No value can make one message's file the directory of another (formerly
  // HOST "" → logs/x.log beside HOST "x.log" → logs/x.log/…, an EISDIR that
  // dropped the whole batch): a macro segment is never empty, '.' or '..'.
  const files = new Set(
    expected.flatMap((s) => (s.file !== undefined && nameFits(s.file) ? [s.file] : [])),
  );
  const dirs = new Set([...files].flatMap((f) => ancestorsBelow(f, base)));
  expect(
    [...files].filter((f) => dirs.has(f)),
    'files that are also directories',
  ).toEqual([]);
  for (const s of expected) {
    if (s.file === undefined) {
      expect(seen.has(s.id), `message ${s.id} escapes but was written to ${seen.get(s.id)}`).toBe(
        false,
      );
      continue;
    }
    if (seen.has(s.id)) expect(seen.get(s.id)).toBe(s.file);
    // A writable name must be written: a hostile neighbour must not take it down.
    else if (nameFits(s.file)) {
      throw new Error(
        `message ${s.id} (file ${JSON.stringify(s.file)}) was not written; ack ${String(input.acks[s.id])}; ` +
          `unsafePathDrops ${out.unsafePathDrops}; dropped ${JSON.stringify(stats.dropped)}; ` +
          `log: ${logs
            .filter((l) => l.level === 'error')
            .map((l) => l.message)
            .slice(0, 3)
            .join(' | ')}`,
      );
    }
  }
  return { expected, seen, out };
}

describe('FileDestination path templates under hostile values', () => {
  it('writes nothing outside the base directory and splits no line, for any value', async () => {
    let run = 0;
    let written = 0;
    let escaping = 0;
    const message = fc.record({
      HOST: hostileValue,
      PROGRAM: hostileValue,
      'SDATA.x.y': hostileValue,
      MESSAGE: fc.oneof(
        hostileValue,
        fc.constantFrom('line\nbreak', 'cr\rlf', '\r\n{"ID":"0"}\n', '\u2028\u2029'),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TEMPLATES),
        fc.constantFrom(undefined, '${ID} ${HOST} ${MESSAGE}'),
        fc.array(message, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 10 }),
        async (pathTemplate, lineTemplate, fields, batchLines) => {
          const sent = fields.map((f, id) => ({ id, fields: f as Record<string, string> }));
          const { expected, seen } = await runAndCheck(
            run++,
            pathTemplate,
            lineTemplate,
            sent,
            batchLines,
          );
          written += seen.size;
          escaping += expected.filter((e) => e.file === undefined).length;
        },
      ),
      fuzzParams(0x5eed0401, 60),
    );
    // Both kinds must have occurred in numbers, or the property proves little.
    expect(written).toBeGreaterThan(100);
    expect(escaping).toBeGreaterThan(20);
  });

  it('drops every message of a template that always leaves the directory, writing nothing', async () => {
    const sent = NASTY.map((v, id) => ({
      id,
      fields: { HOST: v, PROGRAM: `p${id}`, 'SDATA.x.y': v, MESSAGE: 'm' },
    }));
    const { seen, out } = await runAndCheck(
      1000,
      '{base}/${HOST}/../../${PROGRAM}',
      undefined,
      sent,
      7,
    );
    expect(seen.size).toBe(0);
    expect(out.unsafePathDrops).toBe(sent.length);
  });

  it('keeps the innocent messages of a batch when one value names a file too long to exist', async () => {
    // Regression: one ENAMETOOLONG failed the flush, and after `retries` the whole batch was dropped.
    const values = ['ok-1', 'x'.repeat(300), 'ok-2', 'é'.repeat(200), 'ok-3'];
    const sent = values.map((v, id) => ({
      id,
      fields: { HOST: v, PROGRAM: 'p', 'SDATA.x.y': '', MESSAGE: `m${id}` },
    }));
    const { seen } = await runAndCheck(1001, '{base}/${HOST}/${PROGRAM}.log', undefined, sent, 100);
    expect([...seen.keys()].sort()).toEqual([0, 2, 4]);
  });

  it('writes nothing named after a hostile value in the directories above the temp tree', async () => {
    for (const [dir, before] of ancestorsBefore) {
      const added = (await readdir(dir)).filter((n) => !before.has(n));
      expect(
        added.filter((n) => n.includes(MARK) || n === 'passwd' || n === 'HOME'),
        dir,
      ).toEqual([]);
    }
  });
});
