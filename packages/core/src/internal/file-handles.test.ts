import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendAll,
  directoryMode,
  ensureDirectory,
  FileHandles,
  openForAppend,
  takeBack,
  type Appended,
} from './file-handles.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logpath-handles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileHandles', () => {
  it('keeps at most maxOpen handles, closing the least recently used', async () => {
    const handles = new FileHandles(0o640, true, 2);
    const a = await handles.get(join(dir, 'a'));
    const b = await handles.get(join(dir, 'b'));
    expect(await handles.get(join(dir, 'a'))).toBe(a); // a is now the most recent
    await handles.get(join(dir, 'c'));
    expect(handles.size).toBe(2);
    expect(b.fd).toBe(-1); // closed
    expect(a.fd).toBeGreaterThan(0);
    await handles.closeAll();
    expect(handles.size).toBe(0);
    expect(a.fd).toBe(-1);
  });

  it('appends, and takes back exactly what it appended', async () => {
    const path = join(dir, 'x', 'y', 'f.log');
    const fh = await openForAppend(path, 0o640, true);
    await appendAll(fh, Buffer.from('one\n'), { path, bytes: 0 });
    const progress: Appended = { path, bytes: 0 };
    await appendAll(fh, Buffer.from('two\nthree\n'), progress);
    expect(progress.bytes).toBe(10);
    expect(await takeBack(progress)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('one\n');
    expect(await takeBack({ path, bytes: 100 })).toBe(false); // shorter than that: left alone
    expect(await readFile(path, 'utf8')).toBe('one\n');
    await fh.close();
  });

  it('does not create directories without mkdirs, and rejects a file as a directory', async () => {
    await expect(openForAppend(join(dir, 'no', 'f'), 0o640, false)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await writeFile(join(dir, 'file'), '');
    await expect(ensureDirectory(join(dir, 'file'), 0o640, false)).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    await expect(ensureDirectory(join(dir, 'file', 'sub'), 0o640, true)).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    await expect(ensureDirectory(join(dir, 'new'), 0o640, true)).resolves.toBeUndefined();
  });

  it('derives directory modes that let file readers enter', () => {
    expect(directoryMode(0o640)).toBe(0o750);
    expect(directoryMode(0o644)).toBe(0o755);
    expect(directoryMode(0o600)).toBe(0o700);
    expect(directoryMode(0o440)).toBe(0o750);
  });
});
