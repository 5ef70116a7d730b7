import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Test helpers: run the CLI from its sources as a real child process, in a fixture folder. */

const CORE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// Absolute, because --import resolves from the child's cwd, which is the fixture folder.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `logpath` process with its output so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first stderr line matching `pattern` (also one already written); rejects if the process ends first. */
  readonly waitForStderr: (pattern: RegExp) => Promise<string>;
  readonly exited: Promise<Exit>;
}

/** Starts `logpath <args>` with the working directory `cwd`. */
export function spawnCli(args: readonly string[], cwd: string): CliProcess {
  const child = spawn(
    process.execPath,
    ['--import', TSX, '--conditions=@logpath/source', MAIN, ...args],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    for (const w of waiters) w();
  });
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitForStderr = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = err.split('\n').find((l) => pattern.test(l));
        if (line === undefined) return;
        waiters.delete(check);
        resolve(line);
      };
      waiters.add(check);
      check();
      void exited.then((e) => {
        if (!waiters.has(check)) return;
        waiters.delete(check);
        reject(
          new Error(
            `logpath exited (${e.code ?? e.signal}) before printing ${pattern}; stderr:\n${err}`,
          ),
        );
      });
    });
  return { child, stdout: () => out, stderr: () => err, waitForStderr, exited };
}

/** Runs `logpath <args>` to the end. */
export async function runCli(
  args: readonly string[],
  cwd: string,
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnCli(args, cwd);
  const exit = await p.exited;
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * Creates a temporary folder holding `files` (paths relative to it), a
 * package.json with `"type": "module"` and node_modules/@logpath/core linked
 * to this package, as if installed next to the config.
 */
export async function makeFixture(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logpath-cli-'));
  await mkdir(join(dir, 'node_modules', '@logpath'), { recursive: true });
  await symlink(CORE_DIR, join(dir, 'node_modules', '@logpath', 'core'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await writeFiles(dir, files);
  return dir;
}

/** Writes `files` (paths relative to `dir`), creating folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

/** Removes a fixture folder. */
export function removeFixture(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Source and destination classes for fixture configs (`./components.ts`):
 * CountSource posts `count` messages "<tag> <i>" (every `everyMs`) then waits
 * for the stop request; LinesDestination appends each MESSAGE as a line to
 * `path`; FailingSource fails init(); StubbornSource never returns from run().
 */
export const COMPONENTS_TS = `
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogDestination, LogMessage, LogSource } from '@logpath/core';

export class CountSource extends LogSource<{ count?: number; tag?: string; everyMs?: number }> {
  #count = Infinity;
  #tag = 'm';
  #everyMs = 0;
  override init(o: { count?: number; tag?: string; everyMs?: number }) {
    this.#count = o.count ?? Infinity;
    this.#tag = o.tag ?? 'm';
    this.#everyMs = o.everyMs ?? 0;
  }
  override async run() {
    for (let i = 0; i < this.#count && !this.signal.aborted; i++) {
      if (!this.postMessage(new LogMessage(this.#tag + ' ' + i))) await this.waitForWindow();
      if (this.#everyMs > 0) await sleep(this.#everyMs, undefined, { signal: this.signal }).catch(() => {});
    }
    if (!this.signal.aborted) await new Promise((r) => this.signal.addEventListener('abort', r, { once: true }));
  }
}

export class LinesDestination extends LogDestination<{ path: string }> {
  #path = '';
  #lines: string[] = [];
  override init(o: { path: string }) {
    this.#path = o.path;
  }
  override send(msg: LogMessage) {
    this.#lines.push(msg.getAsString('MESSAGE') + '\\n');
    return this.QUEUED;
  }
  override flush() {
    appendFileSync(this.#path, this.#lines.join(''));
    this.#lines = [];
    return this.SUCCESS;
  }
}

export class FailingSource extends LogSource {
  override init() {
    throw new Error('boom: no such device');
  }
  override run() {}
}

export class StubbornSource extends LogSource {
  override run() {
    return new Promise<void>(() => {});
  }
}
`;
