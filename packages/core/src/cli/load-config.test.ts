import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../errors.js';
import { NullDestination } from '../destinations/null-destination.js';
import { LogSource } from '../log-source.js';
import { loadConfig } from './load-config.js';
import { parseClassSpecifier } from './resolve-class.js';
import { COMPONENTS_TS, makeFixture, removeFixture } from './test-cli.js';

let dir: string;

beforeAll(async () => {
  dir = await makeFixture({
    'components.ts': COMPONENTS_TS,
    'plain.js': `import { LogSource } from '@logpath/core';
export class JsSource extends LogSource { run() {} }
export default class DefaultSource extends LogSource { run() {} }`,
  });
});
afterAll(() => removeFixture(dir));

async function issuesOf(file: string): Promise<readonly string[]> {
  const err = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).code).toBe(ErrorCode.INVALID_CONFIG);
  return (err as ConfigError).issues;
}

const VALID = `import { defineConfig, NullDestination } from '@logpath/core';
import { CountSource } from './components.js';
export default defineConfig({
  sources: { a: { class: CountSource, options: { tag: 'TAG' } } },
  destinations: { out: { class: NullDestination } },
  logPaths: [{ sources: ['a'], destinations: ['out'], filter: () => true }],
});
`;

describe('parseClassSpecifier', () => {
  it('splits at the last "#"; no "#" means the default export; "#Name" a built-in', () => {
    expect(parseClassSpecifier('@scope/pkg#Cls')).toEqual({
      module: '@scope/pkg',
      exportName: 'Cls',
    });
    expect(parseClassSpecifier('./a#b.js#Cls')).toEqual({ module: './a#b.js', exportName: 'Cls' });
    expect(parseClassSpecifier('./x.js')).toEqual({ module: './x.js', exportName: 'default' });
    expect(parseClassSpecifier('#NullDestination')).toEqual({
      module: '',
      exportName: 'NullDestination',
    });
  });
});

describe('loadConfig', () => {
  it('loads a TS config: default export, classes shared with the runtime, functions kept', async () => {
    await writeFile(join(dir, 'valid.ts'), VALID);
    const config = await loadConfig(join(dir, 'valid.ts'));
    const a = config.sources.a!;
    expect(a.class.prototype).toBeInstanceOf(LogSource);
    expect(a.options).toEqual({ tag: 'TAG' });
    expect(config.destinations.out!.class).toBe(NullDestination);
    expect(config.logPaths[0]!.filter).toBeTypeOf('function');
  });

  it('evaluates the file again on every call, so a reload sees edits', async () => {
    const file = join(dir, 'edited.ts');
    await writeFile(file, VALID);
    expect((await loadConfig(file)).sources.a!.options).toEqual({ tag: 'TAG' });
    await writeFile(file, VALID.replace("'TAG'", "'EDITED'"));
    expect((await loadConfig(file)).sources.a!.options).toEqual({ tag: 'EDITED' });
  });

  it('calls a default-exported (async) function and resolves string classes in JS configs', async () => {
    const file = join(dir, 'fn.mjs');
    await writeFile(
      file,
      `export default async () => ({
        sources: { a: { class: './plain.js#JsSource' }, b: { class: './plain.js' } },
        destinations: { out: { class: '#NullDestination' } },
        logPaths: [{ sources: ['a', 'b'], destinations: ['out'] }],
      });`,
    );
    const config = await loadConfig(file);
    expect(config.sources.a!.class.name).toBe('JsSource');
    expect(config.sources.b!.class.name).toBe('DefaultSource');
    expect(config.destinations.out!.class).toBe(NullDestination);
  });

  it('reports a function that throws, a missing default export and a syntax error', async () => {
    await writeFile(
      join(dir, 'throws.mjs'),
      `export default () => { throw new Error('no secrets file'); };`,
    );
    await writeFile(join(dir, 'named.mjs'), `export const config = {};`);
    await writeFile(join(dir, 'broken.ts'), `export default { sources: { a: { class: } } };`);
    expect(await issuesOf(join(dir, 'throws.mjs'))).toEqual([
      expect.stringMatching(/throws\.mjs.* threw: no secrets file/),
    ]);
    expect(await issuesOf(join(dir, 'named.mjs'))).toEqual([
      expect.stringMatching(/named\.mjs.* has no default export/),
    ]);
    expect(await issuesOf(join(dir, 'broken.ts'))).toEqual([
      expect.stringMatching(/broken\.ts.* failed to load: .+/),
    ]);
  });

  it('reports a missing file, an unknown extension and invalid JSON', async () => {
    await writeFile(join(dir, 'bad.json'), `{ "sources": `);
    await writeFile(join(dir, 'config.yaml'), `sources: {}`);
    expect(await issuesOf(join(dir, 'absent.ts'))).toEqual([
      expect.stringMatching(/absent\.ts.* not found/),
    ]);
    expect(await issuesOf(join(dir, 'config.yaml'))).toEqual([
      expect.stringMatching(/must end in \.ts, \.mts, \.js, \.mjs, \.json, got "\.yaml"/),
    ]);
    expect(await issuesOf(join(dir, 'bad.json'))).toEqual([
      expect.stringMatching(/bad\.json.* is not valid JSON/),
    ]);
  });

  it('rejects filters and rewrites in JSON, once each, along with the other problems', async () => {
    const file = join(dir, 'fn.json');
    await writeFile(
      file,
      JSON.stringify({
        sources: { a: { class: './plain.js#JsSource' } },
        destinations: { out: { class: '#NullDestination' } },
        logPaths: [
          {
            sources: ['a'],
            destinations: ['out', 'ghost'],
            filter: 'PROGRAM == sshd',
            rewrite: 'x',
          },
        ],
      }),
    );
    expect(await issuesOf(file)).toEqual([
      expect.stringMatching(
        /^logPaths\[0\]\.filter: a JSON config cannot hold a filter .*\.ts or \.js/,
      ),
      expect.stringMatching(/^logPaths\[0\]\.rewrite: a JSON config cannot hold a rewrite/),
      'logPaths[0].destinations names an unknown destination "ghost"',
    ]);
  });

  it('reports a class given directly that does not extend the right base class', async () => {
    const file = join(dir, 'wrong-base.ts');
    await writeFile(
      file,
      `import { NullDestination } from '@logpath/core';
export default {
  sources: { a: { class: NullDestination }, b: { class: class Foreign {} } },
  destinations: { out: { class: NullDestination } },
  logPaths: [{ sources: ['a', 'b'], destinations: ['out'] }],
};`,
    );
    expect(await issuesOf(file)).toEqual([
      'sources.a.class (NullDestination) is not a subclass of LogSource',
      'sources.b.class (Foreign) is not a subclass of LogSource',
    ]);
  });
});
