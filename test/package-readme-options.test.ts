/**
 * The option tables of the package READMEs (adapter-http, adapter-ws,
 * adapter-kafka, fetcher) against the code: each table lists exactly the options its
 * validator accepts, and each default written in it is the one the code has.
 *
 * A default cell is checked when the code's default is defined: it must be a
 * literal (see core's docs-table: `1000`, `false`, `"json"`, `[]`, with an
 * optional `(note)`), a string in a code span (`auto`), a size (`10 MiB`) or
 * a list of quoted strings (`['POST', 'PUT']`).
 * Options without a default (`url`, `tls`…) may have prose ("required", "none").
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLogpathError } from '@logpath/core';
import {
  HTTP_DESTINATION_DEFAULTS,
  HTTP_SOURCE_DEFAULTS,
  HttpDestination,
} from '@logpath/adapter-http';
import {
  DEFAULT_WEBSOCKET_DESTINATION_OPTIONS,
  DEFAULT_WEBSOCKET_SOURCE_OPTIONS,
  WebSocketDestination,
  WebSocketSource,
} from '@logpath/adapter-ws';
import {
  DEFAULT_KAFKA_DESTINATION_OPTIONS,
  DEFAULT_KAFKA_SOURCE_OPTIONS,
} from '@logpath/adapter-kafka';
import { resolveSourceOptions as resolveKafkaSourceOptions } from '../packages/adapter-kafka/src/internal/resolve-source-options.js';
import { resolveDestinationOptions as resolveKafkaDestinationOptions } from '../packages/adapter-kafka/src/internal/resolve-destination-options.js';
import { DEFAULT_FETCHER_OPTIONS, DEFAULT_HTTP_POLLER_OPTIONS, HttpPoller } from '@logpath/fetcher';
import {
  parseDefaultCell,
  parseOptionSections,
  type OptionRow,
} from '../packages/core/src/internal/docs-table.js';
import { resolveSourceOptions as resolveHttpSourceOptions } from '../packages/adapter-http/src/internal/resolve-source-options.js';
import { resolvePollerOptions } from '../packages/fetcher/src/http-poller-options.js';

const UNKNOWN = 'zz_not_an_option';
const bad = { [UNKNOWN]: 1 };

function readme(pkg: string): string {
  return readFileSync(new URL(`../packages/${pkg}/README.md`, import.meta.url), 'utf8');
}

/** Every "known: a, b, c" list of the ConfigError that `run` throws for an unknown option. */
function knownKeys(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (!isLogpathError(err)) throw err;
    const issues = (err as { issues?: readonly string[] }).issues ?? [];
    const lists = issues.flatMap((i) => {
      const m = new RegExp(`unknown option "${UNKNOWN}" \\(known: ([^)]*)\\)`).exec(i);
      return m ? [m[1]!.split(', ')] : [];
    });
    if (lists.length > 0) return lists.flat();
    throw new Error(`no "unknown option" issue among: ${issues.join('; ')}`);
  }
  throw new Error('expected a ConfigError for an unknown option');
}

/** Problems of one documented default against the code's `value`. */
function checkDefault(row: OptionRow, value: unknown): string | undefined {
  if (value === undefined) return undefined; // no default: prose such as "none" or "required"
  const parsed = parseDefaultCell(row.cell);
  if (parsed.literal) {
    return isDeepStrictEqual(parsed.value, value)
      ? undefined
      : `"${row.option}" (line ${row.line}) is documented as ${JSON.stringify(parsed.value)}, the code has ${JSON.stringify(value)}`;
  }
  const text = row.cell.replace(/\s+\(.*\)$/, '').trim();
  if (typeof value === 'string' && text === `\`${value}\``) return undefined;
  const size = /^(\d+) (KiB|MiB|GiB)$/.exec(text);
  if (size) {
    const bytes = Number(size[1]) * 1024 ** (['KiB', 'MiB', 'GiB'].indexOf(size[2]!) + 1);
    return bytes === value
      ? undefined
      : `"${row.option}" (line ${row.line}) is documented as ${bytes} bytes, the code has ${JSON.stringify(value)}`;
  }
  // A list of single-quoted strings, as code writes it: `['POST', 'PUT']`.
  const list = /^`(\[[^`]*\])`$/.exec(text);
  if (list && isDeepStrictEqual(JSON.parse(list[1]!.replace(/'/g, '"')), value)) return undefined;
  return `"${row.option}" (line ${row.line}): write the default as a literal, e.g. \`${JSON.stringify(value)}\`, got ${JSON.stringify(row.cell)}`;
}

interface Case {
  pkg: string;
  heading: string;
  /** The options the validator accepts. */
  accepted: () => string[];
  /** The code's defaults, by option. */
  defaults: Readonly<Record<string, unknown>>;
  /** Which of the sections with this heading (0: the first). */
  nth?: number;
}

const CASES: Case[] = [
  {
    pkg: 'adapter-http',
    heading: 'Options',
    accepted: () => knownKeys(() => resolveHttpSourceOptions(bad as never)),
    defaults: HTTP_SOURCE_DEFAULTS,
  },
  {
    pkg: 'adapter-http',
    heading: 'HttpDestination',
    accepted: () => knownKeys(() => new HttpDestination().init({ url: 'http://x', ...bad })),
    defaults: HTTP_DESTINATION_DEFAULTS,
  },
  {
    pkg: 'adapter-ws',
    heading: 'Options',
    accepted: () => knownKeys(() => new WebSocketSource().init({ port: 0, ...bad })),
    defaults: DEFAULT_WEBSOCKET_SOURCE_OPTIONS,
  },
  {
    pkg: 'adapter-ws',
    heading: 'WebSocketDestination',
    accepted: () => knownKeys(() => new WebSocketDestination().init({ url: 'ws://x', ...bad })),
    defaults: DEFAULT_WEBSOCKET_DESTINATION_OPTIONS,
  },
  {
    pkg: 'fetcher',
    heading: 'Fetcher options',
    accepted: () => Object.keys(DEFAULT_FETCHER_OPTIONS),
    defaults: DEFAULT_FETCHER_OPTIONS,
  },
  {
    // The HttpPoller's table and its `cursor` table share the section.
    pkg: 'fetcher',
    heading: 'Options',
    accepted: () =>
      knownKeys(() =>
        new HttpPoller().init({
          url: 'http://x',
          cursor: { param: 'a', path: 'b', ...bad },
          ...bad,
        }),
      ),
    defaults: {
      ...DEFAULT_HTTP_POLLER_OPTIONS,
      saveInterval: resolvePollerOptions({ url: 'http://x', cursor: { param: 'a', path: 'b' } })
        .cursor!.saveInterval,
    },
  },
  {
    pkg: 'adapter-kafka',
    heading: 'Options',
    accepted: () =>
      knownKeys(() =>
        resolveKafkaSourceOptions({ brokers: 'b:1', groupId: 'g', topics: ['t'], ...bad }),
      ),
    defaults: DEFAULT_KAFKA_SOURCE_OPTIONS,
  },
  {
    pkg: 'adapter-kafka',
    heading: 'Options',
    nth: 1,
    accepted: () =>
      knownKeys(() => resolveKafkaDestinationOptions({ brokers: 'b:1', topic: 't', ...bad })),
    defaults: DEFAULT_KAFKA_DESTINATION_OPTIONS,
  },
];

describe('package READMEs document every option with the default the code has', () => {
  for (const c of CASES) {
    it(`packages/${c.pkg}/README.md, section "${c.heading}"${c.nth ? ` #${c.nth + 1}` : ''}`, () => {
      const sections = parseOptionSections(readme(c.pkg)).filter((s) => s.heading === c.heading);
      const rows = sections[c.nth ?? 0]?.rows ?? [];
      expect(rows.map((r) => r.option).sort()).toEqual([...c.accepted()].sort());
      const problems = rows.flatMap((r) => checkDefault(r, c.defaults[r.option]) ?? []);
      expect(problems).toEqual([]);
    });
  }

  it('catches a wrong default and a default written as prose', () => {
    const row = (cell: string): OptionRow => ({
      option: 'x',
      cell,
      default: parseDefaultCell(cell),
      line: 1,
    });
    expect(checkDefault(row('1000'), 1000)).toBeUndefined();
    expect(checkDefault(row('`auto`'), 'auto')).toBeUndefined();
    expect(checkDefault(row('`10485760` (10 MiB)'), 10 * 1024 * 1024)).toBeUndefined();
    expect(checkDefault(row('none'), undefined)).toBeUndefined();
    expect(checkDefault(row('2000'), 1000)).toMatch(/documented as 2000, the code has 1000/);
    expect(checkDefault(row('10 MiB'), 10 * 1024 * 1024)).toBeUndefined();
    expect(checkDefault(row('1 MiB'), 10 * 1024 * 1024)).toMatch(/documented as 1048576 bytes/);
    expect(checkDefault(row("`['GET']`"), ['POST'])).toMatch(/write the default as a literal/);
    expect(checkDefault(row('all interfaces'), 8080)).toMatch(/write the default as a literal/);
  });
});
