import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

// A real crash: a child process runs a pipeline with a reliable disk buffer
// in front of a destination that is down or slow most of the time, and is
// killed with SIGKILL while messages stream in. A second run (same persist
// name and buffer directory, healthy destination, no new messages) must
// deliver every message whose ack the first run printed before it died.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const script = fileURLToPath(new URL('./internal/test-disk-buffer-child.ts', import.meta.url));
const ACKS_BEFORE_KILL = 20_000;

interface Child {
  proc: ChildProcess;
  stderr: () => string;
  /** Resolves once stdout is closed and the process has exited. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the child; `onLine` sees every stdout line until the pipe closes. */
function start(mode: 'produce' | 'drain', dir: string, onLine: (line: string) => void): Child {
  const proc = spawn(
    process.execPath,
    ['--conditions=@logpath/source', '--import', 'tsx', script, mode, dir, join(dir, 'out.txt')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', onLine);
  const closed = new Promise((resolve) => proc.stdout!.once('close', resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, stderr: () => stderr, ended: closed.then(() => exited) };
}

/** The numbers in the destination's output file, one per delivered line. */
function delivered(dir: string): number[] {
  const file = join(dir, 'out.txt');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(/^n=(\d+)$/.exec(l)![1]));
}

describe('disk buffer crash', () => {
  it(
    'delivers every acknowledged message after kill -9, at least once',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'logpath-crash-'));
      const acked = new Set<number>();
      const first = start('produce', dir, (line) => {
        const m = /^ack (\d+)$/.exec(line);
        if (!m) return;
        acked.add(Number(m[1]));
        if (acked.size === ACKS_BEFORE_KILL) first.proc.kill('SIGKILL');
      });
      // Also the acks still in the pipe when it died count: they were printed after durability.
      expect(await first.ended, first.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(acked.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
      const before = new Set(delivered(dir));
      const onlyInBuffer = [...acked].filter((n) => !before.has(n)).length;
      // The crash left acknowledged messages that only the buffer still has, and some delivered ones.
      expect(onlyInBuffer).toBeGreaterThan(ACKS_BEFORE_KILL / 2);
      expect(before.size).toBeGreaterThan(0);

      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const second = start('drain', dir, (line) => line === 'started' && started());
      await Promise.race([
        ready,
        second.ended.then(() => Promise.reject(new Error(second.stderr()))),
      ]);
      await vi.waitFor(
        () => {
          const got = new Set(delivered(dir));
          const missing = [...acked].filter((n) => !got.has(n));
          expect(missing.length, `missing e.g. ${missing.slice(0, 5).join(',')}`).toBe(0);
        },
        { timeout: 60_000, interval: 50 },
      );
      second.proc.kill('SIGTERM');
      expect(await second.ended, second.stderr()).toEqual({ code: 0, signal: null });

      const all = delivered(dir);
      const duplicates = all.length - new Set(all).size;
      console.log(
        `disk buffer crash test: ${acked.size} acknowledged before kill -9, ${onlyInBuffer} of them only in the buffer; ` +
          `${all.length} lines delivered in all, ${duplicates} duplicates (at-least-once)`,
      );
      expect(all.every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
      expect(second.stderr()).toMatch(/messages from the previous run are sent first/);
      expect(second.stderr()).not.toMatch(/ERROR/);
      // Delivered segments are deleted: at most the one being written is left.
      const buffer = join(dir, 'disk-buffer', 'crash-test-file');
      expect(readdirSync(buffer).filter((f) => f.startsWith('seg-')).length).toBeLessThanOrEqual(1);
      await rm(dir, { recursive: true, force: true });
    },
  );
});
