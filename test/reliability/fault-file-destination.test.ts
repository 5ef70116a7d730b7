/**
 * Faults of a FileDestination while messages flow:
 * - a full disk: the path is a symlink to /dev/full (every write fails with
 *   ENOSPC), later replaced by a regular file;
 * - an unwritable path: a directory in it is a regular file (ENOTDIR; chmod
 *   would not stop root), for a static path (the runtime keeps reopening
 *   until it is fixed) and for one value of a path template.
 * What a failing batch cannot write goes to a fallback FileDestination after
 * `retries`; nothing the source got acknowledged may be missing from the
 * files, and every drop must be counted and logged with its reason. The
 * figures go to `results/fault-file-*.json`.
 */
import { mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defineConfig,
  FileDestination,
  LogMessage,
  Pipeline,
  type ComponentStats,
  type InternalLogRecord,
} from '@logpath/core';
import { ArraySource } from '@logpath/core/testing';
import { writeResult } from './results.js';
import { seqOf, Tally } from './fault-support.js';
import { mib, RssSampler, settle } from './overload-support.js';

const N = 3000;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logpath-fault-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  pipeline: Pipeline;
  input: ArraySource;
  logs: InternalLogRecord[];
  rss: RssSampler;
  stats(name: 'out' | 'fallback'): ComponentStats;
}

/** Starts ArraySource(N messages, PROGRAM from `program`) → `path`, falling back to `fallback.log`. */
async function start(path: string, program: (i: number) => string): Promise<Run> {
  const messages = Array.from({ length: N }, (_, i) =>
    new LogMessage(`${i} payload`).set('PROGRAM', program(i)),
  );
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ArraySource, options: { messages } } },
      destinations: {
        out: {
          class: FileDestination,
          options: { path, template: '${MESSAGE}' },
          batchLines: 100,
          retries: 2,
          timeReopen: 50,
          fallback: 'fallback',
        },
        fallback: {
          class: FileDestination,
          options: { path: join(dir, 'fallback.log'), template: '${MESSAGE}' },
        },
      },
      logPaths: [{ sources: ['input'], destinations: ['out'] }],
      log: { stderr: false },
    }),
    { logSink: (r) => logs.push(r) },
  );
  const rss = new RssSampler();
  await pipeline.start();
  const stats = (name: string): ComponentStats =>
    pipeline.stats().find((s) => s.kind === 'destination' && s.name === name)!;
  return { pipeline, input: pipeline.component('input') as ArraySource, logs, rss, stats };
}

/** Tallies every line of `files` (missing files count as empty). */
async function tally(files: string[]): Promise<Tally> {
  const t = new Tally();
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line !== '') t.add(seqOf(line));
  }
  return t;
}

/** Stops the run, counts, writes the result and checks that nothing acknowledged is missing. */
async function finish(
  run: Run,
  files: string[],
  scenario: string,
  injected: string,
  reason: RegExp,
): Promise<{ out: ComponentStats; fallback: ComponentStats; t: Tally }> {
  await run.input.allAcked();
  const out = run.stats('out');
  const fallback = run.stats('fallback');
  await run.pipeline.stop();
  run.rss.stop();
  const t = await tally(files);
  const acked = run.input.acks.filter((s) => s === 'delivered').length;
  const missing = t.missingBelow(N);
  const summary = {
    scenario,
    load: `${N} messages posted as fast as the window allows to a FileDestination (batches of 100, retries 2, fallback file)`,
    injected,
    sent: N,
    delivered: t.distinct,
    duplicated: t.duplicated,
    lost: missing.length,
    peakRssMiB: mib(run.rss.peak),
    details: {
      acknowledgedDelivered: acked,
      writtenToPrimary: out.delivered,
      sentToFallback: out.fallback,
      dropped: JSON.stringify(out.dropped),
      resentMessages: out.retried,
      errorLogLines: run.logs.filter((l) => l.level === 'error').length,
      node: process.version,
      date: new Date().toISOString(),
    },
  };
  console.log(`${scenario}: ${JSON.stringify(summary)}`);
  await writeResult(summary);
  expect(acked, 'every message acknowledged as delivered').toBe(N);
  expect(missing.slice(0, 20), `${missing.length} acknowledged messages missing`).toEqual([]);
  expect(out.dropped).toEqual({});
  expect(fallback.dropped).toEqual({});
  expect(
    run.logs.some((l) => l.level === 'error' && reason.test(l.message)),
    `an error log line names the reason ${String(reason)}`,
  ).toBe(true);
  return { out, fallback, t };
}

describe('FileDestination faults', () => {
  it('on a full disk sends what it cannot write to the fallback, then writes again once there is room', async () => {
    const path = join(dir, 'out.log');
    await symlink('/dev/full', path);
    const run = await start(path, () => 'app');
    // The disk stays full until a few batches went to the fallback, while the source keeps posting.
    expect(await settle(() => run.stats('out').fallback >= 300, 60_000)).toBeLessThan(60_000);
    await unlink(path); // "space freed": the next open creates a regular file
    const { out, t } = await finish(
      run,
      [path, join(dir, 'fallback.log')],
      'fault-file-full-disk',
      'the file is a symlink to /dev/full (ENOSPC on every write) until 300+ messages went to the fallback, then a regular file',
      /failed: ENOSPC/,
    );
    expect(out.fallback).toBeGreaterThanOrEqual(300);
    expect(out.delivered, 'written to the primary once there was room').toBeGreaterThan(0);
    expect(t.duplicated).toBe(0); // nothing reached /dev/full, so nothing is written twice
  }, 90_000);

  it('keeps reopening a static path whose parent is a regular file, and writes everything once fixed', async () => {
    const blocker = join(dir, 'logs');
    await writeFile(blocker, 'a regular file where a directory should be');
    const path = join(blocker, 'out.log');
    const run = await start(path, () => 'app');
    await sleep(1000); // the source fills its window and waits; nothing may be dropped meanwhile
    const stalled = run.stats('out');
    expect(stalled.delivered).toBe(0);
    await unlink(blocker); // fixed: mkdir creates the directory on the next open
    const { out, t } = await finish(
      run,
      [path, join(dir, 'fallback.log')],
      'fault-file-unwritable-path',
      'a directory of the static path is a regular file (ENOTDIR) for 1 s, then removed',
      /ENOTDIR/,
    );
    expect(out.fallback, 'a failed open drops nothing: the runtime waits').toBe(0);
    expect(out.delivered).toBe(N);
    expect(t.duplicated).toBe(0);
  }, 90_000);

  it('sends the batches that hold an unwritable template path to the fallback, losing nothing', async () => {
    await writeFile(join(dir, 'blocked'), 'a regular file where a directory should be');
    const path = join(dir, '${PROGRAM}', 'out.log');
    // One message in 250 goes to the unwritable directory: its batch fails with ENOTDIR.
    const run = await start(path, (i) => (i % 250 === 7 ? 'blocked' : i % 2 ? 'web' : 'api'));
    const files = ['api', 'web'].map((p) => join(dir, p, 'out.log'));
    const { out, t } = await finish(
      run,
      [...files, join(dir, 'fallback.log')],
      'fault-file-unwritable-template',
      `1 message in 250 names a directory that is a regular file (ENOTDIR): its batch fails ${3} times`,
      /ENOTDIR/,
    );
    expect(out.fallback, 'the blocked messages went to the fallback').toBeGreaterThanOrEqual(
      N / 250,
    );
    expect(out.delivered).toBeGreaterThan(0);
    // What a failed flush had appended to the other files was taken back: no line twice.
    expect(t.duplicated).toBe(0);
    const fallbackLines = await tally([join(dir, 'fallback.log')]);
    for (let i = 7; i < N; i += 250) expect(fallbackLines.has(i), `message ${i}`).toBe(true);
  }, 90_000);
});
