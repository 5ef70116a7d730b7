import { mkdir, open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Bytes appended to one file by the flush in progress, kept so a failed flush can take them back. */
export interface Appended {
  readonly path: string;
  bytes: number;
}

/**
 * Mode of the directories created for files of `fileMode`: each class that
 * may read the files may also enter the directory, and the owner can always
 * create files in it (0o640 → 0o750).
 */
export function directoryMode(fileMode: number): number {
  return fileMode | ((fileMode & 0o444) >> 2) | 0o700;
}

/**
 * Opens `path` for appending (O_APPEND, created with `mode`), creating its
 * parent directories first when `mkdirs` is set and they are missing.
 */
export async function openForAppend(
  path: string,
  mode: number,
  mkdirs: boolean,
): Promise<FileHandle> {
  try {
    return await open(path, 'a', mode);
  } catch (err) {
    if (!mkdirs || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: directoryMode(mode) });
  return open(path, 'a', mode);
}

/**
 * Makes sure `dir` is a directory: creates it when `mkdirs` is set.
 * @throws the fs error when it is missing, not a directory, or cannot be created.
 */
export async function ensureDirectory(dir: string, mode: number, mkdirs: boolean): Promise<void> {
  if (mkdirs) await mkdir(dir, { recursive: true, mode: directoryMode(mode) });
  const st = await stat(dir);
  if (!st.isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, '${dir}'`), { code: 'ENOTDIR' });
  }
}

/**
 * Writes all of `data` at the end of the file, looping over short writes;
 * `progress.bytes` always says how much reached the file.
 */
export async function appendAll(
  fh: FileHandle,
  data: Uint8Array,
  progress: Appended,
): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    // position null: write at the current position, which O_APPEND makes the end.
    const { bytesWritten } = await fh.write(data, offset, data.length - offset, null);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`ENOSPC: short write of 0 bytes, '${progress.path}'`), {
        code: 'ENOSPC',
      });
    }
    offset += bytesWritten;
    progress.bytes = offset;
  }
}

/**
 * Cuts `bytes` off the end of the file again. Only right while nothing else
 * appends to the same file; a file that is now shorter than `bytes` (rotated
 * or truncated meanwhile) is left alone.
 * @returns whether the bytes were removed.
 */
export async function takeBack(a: Appended): Promise<boolean> {
  const { size } = await stat(a.path);
  if (size < a.bytes) return false;
  await truncate(a.path, size - a.bytes);
  return true;
}

/**
 * Open append handles by absolute path, at most `maxOpen` at once: the least
 * recently used one is closed to make room (a Map keeps insertion order, so
 * moving a path to the end on use is the whole LRU).
 */
export class FileHandles {
  readonly #open = new Map<string, FileHandle>();

  constructor(
    private readonly mode: number,
    private readonly mkdirs: boolean,
    private readonly maxOpen: number,
  ) {}

  /** Number of handles open now. */
  get size(): number {
    return this.#open.size;
  }

  /** The handle of `path`, opened (and its directories created) when needed. */
  async get(path: string): Promise<FileHandle> {
    const open = this.#open;
    const fh = open.get(path);
    if (fh !== undefined) {
      open.delete(path);
      open.set(path, fh);
      return fh;
    }
    while (open.size >= this.maxOpen) {
      const [oldest, handle] = open.entries().next().value as [string, FileHandle];
      open.delete(oldest);
      await handle.close().catch(() => {}); // its data is already written; a close error changes nothing
    }
    const created = await openForAppend(path, this.mode, this.mkdirs);
    open.set(path, created);
    return created;
  }

  /** Closes every handle; never throws. */
  async closeAll(): Promise<void> {
    const handles = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(handles.map((h) => h.close()));
  }
}
