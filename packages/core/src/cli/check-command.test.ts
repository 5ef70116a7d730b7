import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS_TS, makeFixture, removeFixture, runCli } from './test-cli.js';

let dir: string;

const PLAIN_JS = `import { LogSource } from '@logpath/core';
export class JsSource extends LogSource { run() {} }
export class Unrelated {}
export const notAClass = 42;
`;

beforeAll(async () => {
  dir = await makeFixture({
    'components.ts': COMPONENTS_TS,
    'plain.js': PLAIN_JS,
    'throws.js': `throw new Error('kaboom at import');\n`,
    // A plugin installed next to the config only: the CLI cannot find it from its own folder.
    'node_modules/logpath-plugin-demo/package.json': JSON.stringify({
      name: 'logpath-plugin-demo',
      type: 'module',
      exports: './index.js',
    }),
    'node_modules/logpath-plugin-demo/index.js': `import { LogSource } from '@logpath/core';
export class PluginSource extends LogSource { run() {} }`,
    'valid.ts': `import { defineConfig } from '@logpath/core';
import { CountSource, LinesDestination } from './components.js';
export default defineConfig({
  sources: { a: { class: CountSource, options: { count: 3 } }, b: { class: CountSource } },
  destinations: { out: { class: LinesDestination, options: { path: 'out.txt' } } },
  logPaths: [{ sources: ['a', 'b'], destinations: ['out'] }],
});
`,
    'valid.json': JSON.stringify({
      sources: {
        local: { class: './plain.js#JsSource', logIwSize: 10 },
        plugin: { class: 'logpath-plugin-demo#PluginSource' },
      },
      destinations: { discard: { class: '#NullDestination' } },
      logPaths: [{ sources: ['local', 'plugin'], destinations: ['discard'] }],
    }),
    'sub/errors.json': JSON.stringify({
      sources: {
        missing: { class: './nope.js#Gone' },
        noExport: { class: '../plain.js#Nope' },
        notAClass: { class: '../plain.js#notAClass' },
        unrelated: { class: '../plain.js#Unrelated' },
        noPackage: { class: 'no-such-package-xyz#Src' },
        throws: { class: '../throws.js#Src' },
        ok: { class: '../plain.js#JsSource', logIwSize: 0 },
      },
      destinations: {
        builtin: { class: '#NoSuchDestination' },
        discard: { class: '#NullDestination' },
      },
      logPaths: [
        { sources: ['ok', 'ghost'], destinations: ['discard'], filter: 'PROGRAM == sshd' },
      ],
    }),
  });
});
afterAll(() => removeFixture(dir));

describe('logpath check', () => {
  it('validates a TS config without starting it and prints a one-line summary', async () => {
    const r = await runCli(['check', 'valid.ts'], dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok: 2 sources, 1 destination, 1 log path\n');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'out.txt'))).toBe(false);
  });

  it('resolves JSON class specifiers: relative, a package beside the config, and built-ins', async () => {
    const r = await runCli(['check', join(dir, 'valid.json')], '/');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok: 2 sources, 1 destination, 1 log path\n');
    expect(r.code).toBe(0);
  });

  it('reports every problem at once, one per line, naming component and specifier', async () => {
    const r = await runCli(['check', 'sub/errors.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    const expected = [
      /^error: sources\.missing\.class "\.\/nope\.js#Gone": cannot find module "\.\/nope\.js": \/.*\/sub\/nope\.js does not exist$/,
      /^error: sources\.noExport\.class "\.\.\/plain\.js#Nope": module "\.\.\/plain\.js" has no export "Nope" \(exports: JsSource, Unrelated, notAClass\)$/,
      /^error: sources\.notAClass\.class "\.\.\/plain\.js#notAClass": "notAClass" from "\.\.\/plain\.js" is not a class, got 42$/,
      /^error: sources\.unrelated\.class "\.\.\/plain\.js#Unrelated": "Unrelated" from "\.\.\/plain\.js" is not a subclass of LogSource$/,
      /^error: sources\.noPackage\.class "no-such-package-xyz#Src": cannot find module "no-such-package-xyz": not installed in \/.*\/sub or any folder above it$/,
      /^error: sources\.throws\.class "\.\.\/throws\.js#Src": cannot load module "\.\.\/throws\.js": kaboom at import$/,
      /^error: destinations\.builtin\.class "#NoSuchDestination": @logpath\/core has no built-in destination class "NoSuchDestination" \(built-in destinations: .*NullDestination.*\)$/,
      /^error: logPaths\[0\]\.filter: a JSON config cannot hold a filter/,
      /^error: sources\.ok\.logIwSize must be an integer ≥ 1, got 0$/,
      /^error: logPaths\[0\]\.sources names an unknown source "ghost"$/,
      /^sub\/errors\.json: 10 problems$/,
    ];
    expect(lines).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(lines[i]).toMatch(re));
  });

  it('reports a TS syntax error naming the file', async () => {
    const broken = await makeFixture({
      'broken.ts': 'export default { sources: { a: { class: } } };\n',
    });
    try {
      const r = await runCli(['check', 'broken.ts'], broken);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: config file "broken\.ts" failed to load: .*broken\.ts:1:\d+/,
      );
    } finally {
      await removeFixture(broken);
    }
  });

  it("runs every component's init() and reports each option error, without starting anything", async () => {
    const bad = await makeFixture({
      'bad-options.json': JSON.stringify({
        sources: { tick: { class: '#InternalSource', options: { level: 'loud' } } },
        destinations: {
          file: { class: '#FileDestination', options: { mkdir: 'yes' } },
          console: { class: '#ConsoleDestination', options: { stream: 'stdout' } },
        },
        logPaths: [{ sources: ['tick'], destinations: ['file', 'console'] }],
      }),
    });
    try {
      const r = await runCli(['check', 'bad-options.json'], bad);
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.filter((l) => l.startsWith('error: destinations.file: options.'))).toHaveLength(
        2,
      );
      expect(lines.some((l) => /^error: sources\.tick: .*level.*"loud"/.test(l))).toBe(true);
      expect(lines.some((l) => l.includes('destinations.console'))).toBe(false);
      expect(existsSync(join(bad, '.logpath'))).toBe(false);
    } finally {
      await removeFixture(bad);
    }
  });

  it('reports a missing config file', async () => {
    const r = await runCli(['check', 'absent.ts'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: config file "absent\.ts" not found/);
  });
});
