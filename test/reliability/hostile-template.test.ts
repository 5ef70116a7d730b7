/**
 * Hostile templates and field names. Random templates either compile or
 * throw a ParseError (a ConfigError from FileDestination), nothing else;
 * field names such as `__proto__`, `constructor` and `prototype` are stored,
 * formatted and written like any other name and never reach a prototype:
 * through `set`, `toJSON`, `format`, FileDestination lines or Persist keys.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  compileTemplate,
  ConfigError,
  ErrorCode,
  FileDestination,
  LogMessage,
  LogTemplate,
  ParseError,
  Persist,
  type JsonValue,
} from '@logpath/core';
import {
  expectedFields,
  fieldList,
  fieldName,
  jsonFieldValue,
  jsonOf,
  messageOf,
  ownEntries,
  poison,
  PROTO_NAMES,
  protoName,
  TEMPLATE_CHARS,
} from './field-arbitraries.js';
import { fuzzParams, prototypeChanges, snapshotPrototypes } from './fuzz-support.js';

let protoBefore: ReturnType<typeof snapshotPrototypes>;
beforeEach(() => {
  protoBefore = snapshotPrototypes();
});
afterEach(() => {
  // Every test of this file must leave the built-in prototypes as they were.
  expect(prototypeChanges(protoBefore)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

// ---------------------------------------------------------------------- tests

describe('random templates', () => {
  const template = fc.oneof(
    fc.string({ unit: fc.constantFrom(...TEMPLATE_CHARS), maxLength: 30 }),
    fc.string({ maxLength: 30 }),
    fc.tuple(fc.string({ maxLength: 5 }), protoName).map(([a, n]) => `${a}\${${n}}$${n}`),
  );

  it('compile or throw a ParseError, and the same in every entry point', () => {
    const msg = messageOf([
      ['__proto__', 'P'],
      ['constructor', 'C'],
    ]);
    fc.assert(
      fc.property(template, (t) => {
        let compileError: unknown;
        try {
          compileTemplate(t)(msg);
        } catch (err) {
          compileError = err;
        }
        if (compileError === undefined) {
          expect(typeof new LogTemplate(t).format(msg)).toBe('string');
          expect(typeof msg.format(t)).toBe('string');
          if (!t.includes('$')) expect(msg.format(t)).toBe(t);
          return;
        }
        expect(compileError).toBeInstanceOf(ParseError);
        expect((compileError as ParseError).code).toBe(ErrorCode.PARSE);
        // Only "${" can be malformed: an unterminated one, or an empty "${}".
        expect(t.includes('${')).toBe(true);
        expect(() => new LogTemplate(t)).toThrow(ParseError);
        expect(() => msg.format(t)).toThrow(ParseError);
      }),
      fuzzParams(0x5eed0201, 3000),
    );
  });

  it('are rejected by FileDestination.init with a ConfigError naming the option, never another error', () => {
    const dir = join(tmpdir(), 'logpath-never-created');
    fc.assert(
      fc.property(template, fc.boolean(), (t, asPath) => {
        // Concatenated, not join()ed: join would normalize "/.." inside a "${...}".
        const options = asPath
          ? { path: `${dir}/${t}` }
          : { path: join(dir, 'out.log'), template: t };
        let valid = true;
        try {
          compileTemplate(asPath ? options.path : t);
        } catch {
          valid = false;
        }
        if (!asPath && t === '') valid = false; // an empty template is refused as an option
        let error: unknown;
        try {
          new FileDestination().init(options);
        } catch (err) {
          error = err;
        }
        if (valid) {
          expect(error).toBeUndefined();
          return;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).code).toBe(ErrorCode.INVALID_OPTION);
        expect((error as ConfigError).issues.join('\n')).toContain(
          asPath ? 'options.path' : 'options.template',
        );
      }),
      fuzzParams(0x5eed0202, 2000),
    );
  });

  it('expand exactly as the grammar says, whatever the field names', () => {
    const names = fc.uniqueArray(
      fieldName.filter((n) => n !== '' && !n.includes('}')),
      { minLength: 1, maxLength: 6 },
    );
    type Part =
      | { kind: 'lit'; text: string }
      | { kind: 'dollar' }
      | { kind: 'lone' }
      | { kind: 'name'; index: number; bare: boolean };
    const part: fc.Arbitrary<Part> = fc.oneof(
      fc
        .string({ maxLength: 6 })
        .filter((s) => !s.includes('$'))
        .map((text) => ({ kind: 'lit' as const, text })),
      fc.constant({ kind: 'dollar' as const }),
      fc.constant({ kind: 'lone' as const }),
      fc.record({ kind: fc.constant('name' as const), index: fc.nat(), bare: fc.boolean() }),
    );
    const values = fc.array(fc.string({ maxLength: 8 }), { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(
        names,
        values,
        fc.array(part, { maxLength: 10 }),
        fc.nat(),
        (ns, vs, parts, unsetMask) => {
          const msg = new LogMessage();
          // Some names stay unset: they must expand to '', not to anything found on a prototype.
          ns.forEach((n, i) => {
            if (((unsetMask >> i) & 1) === 0) msg.set(n, vs[i]!);
          });
          const isBare = (s: string): boolean => /^[A-Za-z0-9_]+$/.test(s);
          // Rendered right to left: a bare name runs on into following name characters, so it is braced then.
          let template = '';
          let expected = '';
          for (let k = parts.length - 1; k >= 0; k--) {
            const p = parts[k]!;
            if (p.kind === 'lit') {
              template = p.text + template;
              expected = p.text + expected;
            } else if (p.kind === 'dollar') {
              template = '$$' + template;
              expected = '$' + expected;
            } else if (p.kind === 'lone') {
              template = '$ ' + template; // "$" followed by neither a name, "{" nor "$" stays a "$"
              expected = '$ ' + expected;
            } else {
              const n = ns[p.index % ns.length]!;
              const bare = p.bare && isBare(n) && !/^[A-Za-z0-9_]/.test(template);
              template = (bare ? `$${n}` : `\${${n}}`) + template;
              expected = (msg.getAsString(n) ?? '') + expected;
            }
          }
          expect(msg.format(template)).toBe(expected);
          expect(new LogTemplate(template).format(msg)).toBe(expected);
        },
      ),
      fuzzParams(0x5eed0203, 2000),
    );
  });

  it('expand names found only on Object.prototype to the empty string', () => {
    const msg = new LogMessage('x');
    for (const name of PROTO_NAMES) {
      if (name === '0') continue;
      expect(msg.format(`[\${${name}}]`), name).toBe('[]');
      if (/^[A-Za-z0-9_]+$/.test(name)) expect(msg.format(`[$${name}]`), name).toBe('[]');
    }
  });
});

describe('field names that look like prototype keys', () => {
  it('set, get, has, keys and delete treat them as plain names', () => {
    fc.assert(
      fc.property(fieldList, (list) => {
        const msg = messageOf(list);
        const want = expectedFields([['MESSAGE', 'hello'], ...list]);
        expect(msg.keys()).toEqual([...want.keys()]);
        expect(msg.fieldCount).toBe(want.size);
        for (const [n, v] of want) {
          expect(msg.get(n)).toBe(v);
          expect(msg.has(n)).toBe(true);
        }
        for (const n of PROTO_NAMES) {
          if (!want.has(n)) expect(msg.get(n), n).toBeUndefined();
        }
        const clone = msg.clone();
        for (const n of want.keys()) expect(clone.delete(n)).toBe(true);
        expect(clone.fieldCount).toBe(0);
        expect(msg.fieldCount).toBe(want.size);
      }),
      fuzzParams(0x5eed0211, 2000),
    );
  });

  it('toJSON() returns them as own keys (never through a prototype setter), and JSON keeps them', () => {
    fc.assert(
      fc.property(fieldList, (list) => {
        const msg = messageOf(list);
        const json = msg.toJSON();
        // A plain object (fast to stringify) whose prototype no field name could change.
        expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
        const want = expectedFields([['MESSAGE', 'hello'], ...list]);
        const expected = new Map([...want].map(([k, v]) => [k, jsonOf(v)]));
        if (!expected.has('ISODATE')) expected.set('ISODATE', msg.format('${ISODATE}'));
        if (!expected.has('PRI')) expected.set('PRI', msg.getPri());
        const sorted = [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        expect(ownEntries(json)).toEqual(sorted);
        // Parsed back (as any consumer would), the names are still own keys, never prototypes.
        const back = JSON.parse(JSON.stringify(json)) as object;
        expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
        expect(ownEntries(back)).toEqual(JSON.parse(JSON.stringify(sorted)));
      }),
      fuzzParams(0x5eed0212, 2000),
    );
  });

  it('format() reads them as fields, never as inherited members', () => {
    fc.assert(
      fc.property(fieldList, (list) => {
        const msg = messageOf(list);
        for (const [n] of expectedFields(list)) {
          if (n === '' || n.includes('}')) continue;
          const want = msg.getAsString(n)!;
          expect(msg.format(`\${${n}}`)).toBe(want);
          if (/^[A-Za-z0-9_]+$/.test(n)) expect(msg.format(`<$${n}>`)).toBe(`<${want}>`);
        }
      }),
      fuzzParams(0x5eed0213, 2000),
    );
  });
});

describe('FileDestination lines and Persist keys with hostile names', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logpath-hostile-names-'));
  });

  it('NDJSON lines hold every field as an own key, equal to JSON.stringify(msg.toJSON())', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fieldList, { minLength: 1, maxLength: 10 }), async (lists) => {
        const path = join(dir, `ndjson-${run++}.log`);
        const dest = new FileDestination();
        dest.init({ path });
        expect(await dest.open()).toBe(true);
        const messages = lists.map(messageOf);
        for (const m of messages) expect(dest.send(m)).toBe(dest.QUEUED);
        expect(await dest.flush()).toBe(dest.SUCCESS);
        await dest.deinit();
        const lines = (await readFile(path, 'utf8')).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(messages.length);
        lines.forEach((line, i) => {
          const reference = JSON.stringify(messages[i]!.toJSON());
          expect(line).toBe(reference);
          const parsed = JSON.parse(line) as object;
          expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
        });
      }),
      fuzzParams(0x5eed0221, 150),
    );
  });

  it('template lines expand ${__proto__} & co from the fields, one line per message', async () => {
    const names = PROTO_NAMES.filter((n) => !n.includes('}'));
    const template = names.map((n) => `\${${n}}`).join('|');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fieldList, { minLength: 1, maxLength: 10 }), async (lists) => {
        const path = join(dir, `template-${run++}.log`);
        const dest = new FileDestination();
        dest.init({ path, template });
        expect(await dest.open()).toBe(true);
        const messages = lists.map(messageOf);
        for (const m of messages) dest.send(m);
        expect(await dest.flush()).toBe(dest.SUCCESS);
        await dest.deinit();
        const lines = (await readFile(path, 'utf8')).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(messages.length);
        lines.forEach((line, i) => {
          const m = messages[i]!;
          const want = names
            .map((n) => (m.getAsString(n) ?? '').replace(/\r/g, '\\r').replace(/\n/g, '\\n'))
            .join('|');
          expect(line).toBe(want);
        });
      }),
      fuzzParams(0x5eed0222, 150),
    );
  });

  it('Persist stores them as plain keys, on disk and when read back by a fresh process state', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'logpath-hostile-persist-'));
    const entries = fc.uniqueArray(fc.tuple(fieldName, fc.oneof(jsonFieldValue, poison)), {
      selector: ([k]) => k,
      maxLength: 6,
    });
    const written: { name: string; want: [string, JsonValue][] }[] = [];
    let run = 0;
    fc.assert(
      fc.property(entries, fc.dictionary(protoName, jsonFieldValue), (list, defaults) => {
        const name = `hostile.${run++}`;
        // Defaults shaped like a parsed JSON body: "__proto__" is an own key there.
        const defaultsObj = JSON.parse(JSON.stringify(defaults)) as Record<string, JsonValue>;
        const p = new Persist(name, defaultsObj, { stateDir });
        for (const [k, v] of list) p.set(k, v);
        const want = new Map<string, JsonValue>();
        for (const [k, v] of Object.entries(defaultsObj)) want.set(k, v);
        for (const [k, v] of list) want.set(k, v);
        for (const [k, v] of want) expect(p.get(k)).toEqual(JSON.parse(JSON.stringify(v)));
        for (const k of PROTO_NAMES) if (!want.has(k)) expect(p.has(k), k).toBe(false);
        expect(new Set(p.keys())).toEqual(new Set(want.keys()));
        written.push({
          name,
          want: list.map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as JsonValue]),
        });
      }),
      fuzzParams(0x5eed0223, 60),
    );
    // A fresh copy of the module has no cached stores: it must read every key back from disk.
    vi.resetModules();
    const fresh = await import('@logpath/core');
    for (const { name, want } of written) {
      const p = new fresh.Persist(name, undefined, { stateDir });
      for (const [k, v] of want) expect(p.get(k), `${name} ${k}`).toEqual(v);
    }
    // Every file stays in <stateDir>/persist.
    const files = await readdir(stateDir, { recursive: true });
    for (const f of files)
      expect(f === 'persist' || relative('persist', f).split(sep)[0] !== '..').toBe(true);
  });

  afterAll(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
