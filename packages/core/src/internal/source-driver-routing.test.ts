import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BatchedAckTracker,
  ConsecutiveAckTracker,
  InstantAckTracker,
  type AckStatus,
  type AckTracker,
  type BookmarkAck,
} from '../ack-tracker.js';
import type { PipelineConfig } from '../config.js';
import { ErrorCode, LogpathError } from '../errors.js';
import { DestinationResult as R } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import type { Pipeline } from '../pipeline.js';
import {
  FAKE_TIMERS,
  ManualSource,
  ScriptedDestination,
  comp,
  startPipeline,
  statsOf,
  stopAdvancing,
  turns,
  until,
  type Script,
} from './test-helpers.js';

// The source driver's routing (filter, rewrite, fan-out) and how delivery
// results reach a source's ack tracker.

let running: Pipeline[] = [];

afterEach(async () => {
  for (const p of running) {
    if (vi.isFakeTimers()) await stopAdvancing(p);
    else await p.stop();
  }
  running = [];
  vi.useRealTimers();
});

async function run(config: PipelineConfig) {
  const { p, log } = await startPipeline(config);
  running.push(p);
  const dest = (name: string): ScriptedDestination => comp(p, name, ScriptedDestination);
  return { p, log, dest };
}

/** Destinations a, b, c (scripted through `scripts`) fed by `src`. */
function threeWay(
  logPaths: PipelineConfig['logPaths'],
  scripts: Partial<Record<'a' | 'b' | 'c', Script>> = {},
  src: PipelineConfig['sources']['src'] = { class: ManualSource },
): PipelineConfig {
  const d = (name: 'a' | 'b' | 'c') => ({
    class: ScriptedDestination,
    options: scripts[name] ?? {},
    timeReopen: 1000,
  });
  return {
    sources: { src },
    destinations: { a: d('a'), b: d('b'), c: d('c') },
    logPaths,
    log: { stderr: false },
    stopTimeout: 500,
  };
}

describe('routing', () => {
  it('filters per path, keeps a rewrite to its own path and fans out to every destination', async () => {
    const { p, dest } = await run(
      threeWay([
        {
          sources: ['src'],
          destinations: ['a'],
          rewrite: (m) => {
            m.set('MESSAGE', (m.getAsString('MESSAGE') ?? '').toUpperCase());
          },
        },
        { sources: ['src'], destinations: ['b', 'c'], filter: (m) => m.get('MESSAGE') !== 'skip' },
      ]),
    );
    comp(p, 'src', ManualSource).post('hello', 'skip', 'world');
    await until(() => expect(dest('a').delivered).toEqual(['HELLO', 'SKIP', 'WORLD']));
    await until(() => expect(dest('b').delivered).toEqual(['hello', 'world']));
    await until(() => expect(dest('c').delivered).toEqual(['hello', 'world']));
    expect(statsOf(p, 'src').posted).toBe(3);
  });

  it('logs a filter that throws; the message skips that path only', async () => {
    const { p, log, dest } = await run(
      threeWay([
        {
          sources: ['src'],
          destinations: ['a'],
          filter: (m) => {
            if (m.get('MESSAGE') === 'bad') throw new Error('filter bug');
            return true;
          },
        },
        { sources: ['src'], destinations: ['b'] },
      ]),
    );
    comp(p, 'src', ManualSource).post('ok', 'bad');
    await until(() => expect(dest('b').delivered).toEqual(['ok', 'bad']));
    await until(() => expect(dest('a').delivered).toEqual(['ok']));
    expect(log.find('a log path filter or rewrite threw', 'error')[0]!.stack).toMatch(/filter bug/);
    expect(statsOf(p, 'src').errors).toBe(1);
  });

  it('counts a message that no path takes as dropped: filtered, on the source', async () => {
    const { p, dest } = await run(
      threeWay([
        { sources: ['src'], destinations: ['a'], filter: (m) => m.get('MESSAGE') !== 'x' },
        { sources: ['src'], destinations: ['b'], filter: (m) => m.get('MESSAGE') === 'only-b' },
      ]),
    );
    comp(p, 'src', ManualSource).post('x', 'only-b', 'x', 'kept');
    await until(() => expect(dest('a').delivered).toEqual(['only-b', 'kept']));
    expect(dest('b').delivered).toEqual(['only-b']);
    expect(statsOf(p, 'src')).toMatchObject({ posted: 4, dropped: { filtered: 2 } });
  });
});

/** A source whose ack tracker comes from its options, posting bookmarked messages. */
class TrackedSource extends ManualSource {
  override init(options: Record<string, unknown>): void {
    this.ackTracker = options.tracker as AckTracker;
  }

  postMarked(...bookmarks: number[]): void {
    for (const b of bookmarks) this.postMessage(new LogMessage(`m${b}`, b));
  }
}

const tracked = (tracker: AckTracker) => ({ class: TrackedSource, options: { tracker } });
const is = (text: string) => (m: LogMessage) => m.get('MESSAGE') === text;

describe('ack trackers', () => {
  it('InstantAckTracker hears of a message at delivery, not while a destination retries', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const acks: [unknown, AckStatus][] = [];
    const tracker = new InstantAckTracker((b, s) => acks.push([b, s]));
    const { p, dest } = await run(
      threeWay(
        [{ sources: ['src'], destinations: ['a', 'b'] }],
        { b: { send: (m, attempt) => (is('m1')(m) && attempt === 1 ? R.ERROR : R.SUCCESS) } },
        tracked(tracker),
      ),
    );
    comp(p, 'src', TrackedSource).postMarked(1, 2);
    await until(() => expect(dest('a').delivered).toEqual(['m1', 'm2']));
    await turns();
    expect(acks).toEqual([]); // b has not delivered m1 yet
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(acks).toHaveLength(2));
    expect(acks).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
    ]);
  });

  it('ConsecutiveAckTracker reports the worst status of a fanned-out message, in order', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const acks: [unknown, AckStatus][] = [];
    const tracker = new ConsecutiveAckTracker((b, s) => acks.push([b, s]));
    const { p } = await run(
      threeWay(
        [{ sources: ['src'], destinations: ['a', 'b'] }],
        {
          a: { send: (m, attempt) => (is('m1')(m) && attempt === 1 ? R.ERROR : R.SUCCESS) },
          b: { send: (m) => (is('m2')(m) ? R.DROP : R.SUCCESS) },
        },
        tracked(tracker),
      ),
    );
    comp(p, 'src', TrackedSource).postMarked(1, 2, 3);
    await turns();
    expect(acks).toEqual([]); // m1 still waits for a's resend, so the prefix is empty
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(acks.at(-1)).toEqual([3, 'delivered']));
    expect(acks).toContainEqual([2, 'dropped']);
    expect(tracker.pending).toBe(0);
  });

  it('BatchedAckTracker gets delivered, dropped and, at shutdown, aborted', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const batches: BookmarkAck[][] = [];
    const tracker = new BatchedAckTracker({ batchSize: 2, timeout: 0 }, (acks) =>
      batches.push(acks),
    );
    const { p } = await run(
      threeWay(
        [{ sources: ['src'], destinations: ['a'] }],
        { a: { send: (m) => (is('m1')(m) ? R.SUCCESS : is('m2')(m) ? R.DROP : R.NOT_CONNECTED) } },
        tracked(tracker),
      ),
    );
    comp(p, 'src', TrackedSource).postMarked(1, 2, 3);
    await until(() => expect(batches).toHaveLength(1));
    expect(batches[0]).toEqual([
      { bookmark: 1, status: 'delivered' },
      { bookmark: 2, status: 'dropped' },
    ]);
    await stopAdvancing(p); // m3 is still NOT_CONNECTED after stopTimeout
    expect(batches).toEqual([batches[0], [{ bookmark: 3, status: 'aborted' }]]);
    expect(statsOf(p, 'a').dropped).toEqual({ 'destination-drop': 1, shutdown: 1 });
  });

  it('a message without a bookmark throws ERR_MISSING_BOOKMARK when a tracker is set', async () => {
    const { p, dest } = await run(
      threeWay(
        [{ sources: ['src'], destinations: ['a'] }],
        {},
        tracked(new InstantAckTracker(() => {})),
      ),
    );
    const src = comp(p, 'src', TrackedSource);
    let thrown: unknown;
    try {
      src.post('no bookmark');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(LogpathError);
    expect((thrown as LogpathError).code).toBe(ErrorCode.MISSING_BOOKMARK);
    src.postMarked(7);
    await until(() => expect(dest('a').delivered).toEqual(['m7']));
    expect(statsOf(p, 'src').received).toBe(1);
  });
});
