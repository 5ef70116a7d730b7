import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from './internal/test-api.js';

let api: TestApi;
let stateDir: string;

beforeEach(async () => {
  api = await startTestApi();
  stateDir = await mkdtemp(join(tmpdir(), 'logpath-poller-restart-'));
});

afterEach(async () => {
  await api.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** The cursor the child saved (Persist's file), or 0 when it saved none. */
async function savedCursor(): Promise<string | undefined> {
  try {
    const text = await readFile(join(stateDir, 'persist', 'poller.json'), 'utf8');
    const entries = (JSON.parse(text) as { entries: [string, string][] }).entries;
    return entries.find(([k]) => k === 'cursor')?.[1];
  } catch {
    return undefined;
  }
}

describe('HttpPoller kill -9 and restart', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const child = fileURLToPath(new URL('./internal/test-poller-child.ts', import.meta.url));

  function startChild(out: string, flushDelay: number) {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@logpath/source',
        child,
        `${api.url}/events`,
        stateDir,
        out,
        String(flushDelay),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    return { proc, exited, stderr: () => stderr };
  }

  const ids = (text: string): number[] =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { id: number }).id);

  it('delivers every item exactly once, except those in flight at the kill', async () => {
    const total = 3000;
    api.total = total;
    api.pageSize = 100;
    const out = join(stateDir, 'out.ndjson');

    // Slow delivery (10 ms per 50 lines) keeps up to a window of messages in flight at the kill.
    const first = startChild(out, 10);
    let killed = false;
    api.onRequest = (r) => {
      if (!killed && Number(r.after) >= total / 2) {
        killed = true;
        first.proc.kill('SIGKILL');
      }
    };
    const [, signal] = await first.exited;
    expect(signal).toBe('SIGKILL');
    api.onRequest = undefined;
    const run1 = ids(await readFile(out, 'utf8'));
    const saved = Number((await savedCursor()) ?? 0);

    const second = startChild(out, 0);
    await vi.waitFor(async () => expect(ids(await readFile(out, 'utf8')).at(-1)).toBe(total - 1), {
      timeout: 20_000,
      interval: 50,
    });
    second.proc.kill('SIGTERM');
    const [code] = await second.exited;
    expect(code, second.stderr()).toBe(0);

    const all = ids(await readFile(out, 'utf8'));
    const k = run1.length;
    // Run 1 wrote a gap-free prefix and was stopped half-way.
    expect(run1).toEqual(Array.from({ length: k }, (_, i) => i));
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(total);
    // The saved cursor is a page boundary no later than what was written, behind it by at most
    // the window (1000) and a page (100): the child saves after every delivered page.
    expect(saved % 100).toBe(0);
    expect(saved).toBeLessThanOrEqual(k);
    expect(k - saved).toBeLessThanOrEqual(1000 + 100);
    // Fetching had reached total/2 at the kill; the saved position follows delivery, not fetching.
    expect(saved).toBeLessThan(total / 2);
    // Run 2 resumed exactly at the saved cursor: nothing lost, duplicates only in [saved, k).
    expect(all).toEqual([...run1, ...Array.from({ length: total - saved }, (_, i) => saved + i)]);
    expect(await savedCursor()).toBe(String(total));
  }, 60_000);
});
