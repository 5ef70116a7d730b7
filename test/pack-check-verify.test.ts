/**
 * scripts/pack-check/verify-packages.ts against fabricated installs: it must
 * pass a correct package and name each kind of packaging mistake.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/pack-check/verify-packages.ts');
let app: string | undefined;

afterEach(async () => {
  if (app) await rm(app, { recursive: true, force: true });
  app = undefined;
});

const EXPORTS = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };

/** Writes an installed package: `files` maps paths inside it to contents. */
async function install(
  dir: string,
  manifest: object,
  files: Record<string, string>,
): Promise<void> {
  for (const [path, text] of Object.entries({
    'package.json': JSON.stringify(manifest),
    ...files,
  })) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** An app with @logpath/core (correct) and @logpath/demo as given; returns the script's result. */
async function verify(
  demo: object,
  files: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  app = await mkdtemp(join(tmpdir(), 'pack-verify-'));
  await writeFile(join(app, 'package.json'), '{"type":"module"}');
  await install(
    join(app, 'node_modules/@logpath/core'),
    { name: '@logpath/core', type: 'module', main: './dist/index.js', exports: EXPORTS },
    {
      'dist/index.js': 'export const a = 1;\n',
      'dist/index.d.ts': 'export declare const a = 1;\n',
    },
  );
  await install(join(app, 'node_modules/@logpath/demo'), demo, files);
  await install(join(app, 'node_modules/ws'), { name: 'ws', main: 'index.js' }, { 'index.js': '' });
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, app], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out };
}

const GOOD = {
  name: '@logpath/demo',
  type: 'module',
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: EXPORTS,
  dependencies: { '@logpath/core': '0.1.0', ws: '^8' },
};
const GOOD_FILES = {
  'dist/index.js':
    "import { a } from '@logpath/core';\nimport WebSocket from 'ws';\nimport { x } from './x.js';\n" +
    "/** import { y } from 'not-a-dependency'; (a comment) */\nexport { a, x, WebSocket };\n",
  'dist/x.js':
    "import { readFile } from 'node:fs';\nimport path from 'path';\nexport const x = 1;\n",
  'dist/index.d.ts': "export declare const x: import('@logpath/core').Whatever;\n",
};

describe('pack-check verify-packages', () => {
  it('passes packages whose imports, manifests and exports are right', async () => {
    const r = await verify(GOOD, GOOD_FILES);
    expect(r.out).toContain('manifests ok (2 packages)');
    expect(r.code).toBe(0);
  }, 30_000);

  it('names a missing dependency, an internal import, a missing file and a deep import that resolves', async () => {
    const r = await verify(
      {
        ...GOOD,
        types: './dist/missing.d.ts',
        exports: { ...EXPORTS, './*': './*' },
        dependencies: { '@logpath/core': '0.1.0', 'left-pad': '1' },
      },
      {
        ...GOOD_FILES,
        'dist/x.js':
          "import { s } from '@logpath/core/dist/internal/settle.js';\nexport const x = s;\n",
      },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `@logpath/demo/dist/index.js imports "ws", but ws is not in @logpath/demo's dependencies`,
    );
    expect(r.out).toContain(
      '@logpath/demo/dist/x.js imports "@logpath/core/dist/internal/settle.js", a path @logpath/core does not export',
    );
    expect(r.out).toContain('@logpath/demo: types → ./dist/missing.d.ts is not in the tarball');
    expect(r.out).toContain(
      '@logpath/demo declares the dependency left-pad, but no shipped file imports it',
    );
    expect(r.out).toContain('the deep import "@logpath/demo/dist/index.js" resolves');
    expect(r.out).not.toContain('not-a-dependency');
  }, 30_000);
});
