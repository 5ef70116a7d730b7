import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Persist } from '@logpath/core';
import { CursorStore } from './cursor-store.js';

let dir: string;
let n = 0;
let name: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logpath-cursor-'));
  name = `cursor-test-${n++}`;
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

/** What is on disk, not what the in-process store holds; read synchronously, so no turn passes. */
function onDisk(): unknown {
  try {
    const text = readFileSync(join(dir, 'persist', `${name}.json`), 'utf8');
    return (JSON.parse(text) as { entries: [string, unknown][] }).entries.find(
      ([k]) => k === 'cursor',
    )?.[1];
  } catch {
    return undefined;
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CursorStore', () => {
  it('writes a new position on the next turn, then at most once per saveInterval, the latest one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const store = new CursorStore(new Persist(name, undefined, { stateDir: dir }), 100);
    store.advance('10');
    expect(onDisk()).toBeUndefined();
    await turn();
    expect(onDisk()).toBe('10');
    store.advance('20');
    store.advance('30');
    await turn();
    await vi.advanceTimersByTimeAsync(99);
    expect(onDisk()).toBe('10');
    await vi.advanceTimersByTimeAsync(1);
    expect(onDisk()).toBe('30');
    expect(store.saved).toBe('30');
  });

  it('ignores null and repeats, writes the pending position at close and nothing after', async () => {
    const store = new CursorStore(new Persist(name, undefined, { stateDir: dir }), 60_000);
    store.advance(null);
    store.advance('5');
    await turn();
    store.advance('5');
    store.advance('7');
    store.close();
    expect(onDisk()).toBe('7');
    store.advance('9');
    await turn();
    expect(onDisk()).toBe('7');
  });

  it('reads what an earlier instance saved', async () => {
    const first = new CursorStore(new Persist(name, undefined, { stateDir: dir }), 0);
    first.advance('42');
    first.close();
    expect(new CursorStore(new Persist(name, undefined, { stateDir: dir }), 0).saved).toBe('42');
  });
});
