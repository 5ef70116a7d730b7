import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Persist } from './persist.js';

const tmp = () => mkdtemp(join(tmpdir(), 'logpath-persist-'));

describe('Persist', () => {
  it('stores JSON values durably and reads them back in a new store', async () => {
    const stateDir = await tmp();
    const p = new Persist('src.a', { cursor: null }, { stateDir });
    expect(p.get('cursor')).toBeNull();
    p.set('cursor', { page: 3, ids: [1, 2], ok: true, name: 'x' });
    p.set('count', 42);
    const file = JSON.parse(await readFile(join(stateDir, 'persist', 'src.a.json'), 'utf8')) as {
      entries: [string, unknown][];
    };
    expect(file.entries).toContainEqual(['count', 42]);
    expect(p.get('cursor')).toEqual({ page: 3, ids: [1, 2], ok: true, name: 'x' });
    expect(p.keys().sort()).toEqual(['count', 'cursor']);
    expect(p.delete('count')).toBe(true);
    expect(p.delete('count')).toBe(false);
    expect(p.has('count')).toBe(false);
  });

  it('returns copies, so mutating a result does not change the state', async () => {
    const p = new Persist('src.copy', undefined, { stateDir: await tmp() });
    p.set('list', [1]);
    p.get<number[]>('list')!.push(2);
    expect(p.get('list')).toEqual([1]);
  });

  it('keeps keys of different persist names apart, with no prefix matching', async () => {
    const stateDir = await tmp();
    const foo = new Persist('foo', undefined, { stateDir });
    const foobar = new Persist('foobar', undefined, { stateDir });
    foo.set('k', 1);
    foobar.set('k', 2);
    foobar.set('only', true);
    expect(foo.keys()).toEqual(['k']);
    expect(foo.get('k')).toBe(1);
    expect(foobar.get('k')).toBe(2);
  });

  it('rejects values that are not JSON, naming the key', async () => {
    const p = new Persist('src.bad', undefined, { stateDir: await tmp() });
    expect(() => p.set('n', Number.NaN)).toThrow(/"n".*NaN is not a JSON value/);
    expect(() => p.set('d', new Date() as never)).toThrow(/object of class Date/);
    expect(() => p.set('b', 1n as never)).toThrow(/bigint/);
    expect(p.has('n')).toBe(false);
  });

  it('fails clearly before a pipeline registered the name', () => {
    expect(() => new Persist('nobody.registered.this')).toThrow(/in or after init\(\)/);
  });

  it('reports a corrupt file instead of starting from nothing', async () => {
    const stateDir = await tmp();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(stateDir, 'persist'));
    await writeFile(join(stateDir, 'persist', 'corrupt.json'), '{"entries": [');
    expect(() => new Persist('corrupt', undefined, { stateDir })).toThrow(/not valid JSON/);
  });

  it('survives kill -9: every set() that returned is on disk', async () => {
    const stateDir = await tmp();
    const persistUrl = new URL('./persist.ts', import.meta.url).href;
    const script = join(stateDir, 'writer.ts');
    await writeFile(
      script,
      `import { Persist } from ${JSON.stringify(persistUrl)};
const p = new Persist('crash', undefined, { stateDir: ${JSON.stringify(stateDir)} });
for (let i = 1; ; i++) { p.set('n', i); process.stdout.write(i + '\\n'); }\n`,
    );
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let confirmed = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      confirmed = Number(line);
      if (confirmed >= 50) {
        child.kill('SIGKILL');
        break;
      }
    }
    await new Promise((r) => child.once('exit', r));
    const p = new Persist('crash-reader', undefined, { stateDir });
    expect(p.keys()).toEqual([]);
    const raw = JSON.parse(await readFile(join(stateDir, 'persist', 'crash.json'), 'utf8')) as {
      entries: [string, number][];
    };
    expect(raw.entries[0]![1]).toBeGreaterThanOrEqual(confirmed);
  });
});
