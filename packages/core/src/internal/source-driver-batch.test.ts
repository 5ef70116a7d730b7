import { afterEach, describe, expect, it } from 'vitest';
import { InstantAckTracker, type AckStatus } from '../ack-tracker.js';
import type { PipelineConfig } from '../config.js';
import { ErrorCode, LogpathError } from '../errors.js';
import { LogMessage } from '../log-message.js';
import type { Pipeline } from '../pipeline.js';
import {
  ManualSource,
  ScriptedDestination,
  comp,
  startPipeline,
  statsOf,
  texts,
  until,
} from './test-helpers.js';

// LogSource.postMessages: the same outcome as postMessage for each message,
// whether the batch is routed whole (plain paths) or one by one.

let running: Pipeline[] = [];

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

/** Posts its texts with one postMessages call; bookmarks them when it has a tracker. */
class BatchSource extends ManualSource {
  acks: [unknown, AckStatus][] = [];

  override init(options: Record<string, unknown>): void {
    if (options.tracked === true) {
      this.ackTracker = new InstantAckTracker((b, status) => void this.acks.push([b, status]));
    }
    if (options.batches === true) this.autoCloseBatches = false;
  }

  postAll(texts: string[], bookmarks = this.ackTracker !== undefined): boolean {
    return this.postMessages(texts.map((t, i) => new LogMessage(t, bookmarks ? i : undefined)));
  }
}

async function run(config: Partial<PipelineConfig>, options: Record<string, unknown> = {}) {
  const dest = { class: ScriptedDestination, timeReopen: 1000 };
  const { p } = await startPipeline({
    sources: { src: { class: BatchSource, options } },
    destinations: { a: dest, b: dest },
    logPaths: [{ sources: ['src'], destinations: ['a', 'b'] }],
    log: { stderr: false },
    stopTimeout: 500,
    ...config,
  });
  running.push(p);
  return {
    p,
    src: comp(p, 'src', BatchSource),
    a: comp(p, 'a', ScriptedDestination),
    b: comp(p, 'b', ScriptedDestination),
  };
}

describe('postMessages', () => {
  it('delivers a batch to every destination in order, counted like single posts', async () => {
    const { p, src, a, b } = await run({});
    expect(src.postAll(texts(50))).toBe(true);
    src.post('single');
    const all = [...texts(50), 'single'];
    await until(() => expect(a.delivered).toEqual(all));
    await until(() => expect(b.delivered).toEqual(all));
    expect(statsOf(p, 'src')).toMatchObject({ received: 51, posted: 51, dropped: {} });
    expect(statsOf(p, 'a')).toMatchObject({ delivered: 51, queued: 0 });
    const bytes = all.reduce((n, t) => n + new LogMessage(t).size, 0);
    expect(statsOf(p, 'src').bytes).toBe(bytes);
    expect(statsOf(p, 'a').bytes).toBe(bytes);
  });

  it('returns false once the batch fills the window; nothing is lost', async () => {
    const { src, a } = await run({
      sources: { src: { class: BatchSource, logIwSize: 10 } },
    });
    expect(src.postAll(texts(25))).toBe(false);
    expect(src.hasRoom).toBe(false);
    await src.waitForWindow();
    await until(() => expect(a.delivered).toEqual(texts(25)));
  });

  it('routes one by one through filters and rewrites, with the same result', async () => {
    const { p, src, a, b } = await run({
      logPaths: [
        {
          sources: ['src'],
          destinations: ['a'],
          rewrite: (m) => void m.set('MESSAGE', `${m.getAsString('MESSAGE')}!`),
        },
        { sources: ['src'], destinations: ['b'], filter: (m) => m.get('MESSAGE') !== 'm2' },
      ],
    });
    src.postAll(texts(3));
    await until(() => expect(a.delivered).toEqual(['m1!', 'm2!', 'm3!']));
    await until(() => expect(b.delivered).toEqual(['m1', 'm3']));
    expect(statsOf(p, 'src').posted).toBe(3);
  });

  it('without flow control, drops what a full queue cannot take, as single posts would', async () => {
    const { p, a } = await run({
      destinations: {
        a: { class: ScriptedDestination, logFifoSize: 10 },
        b: { class: ScriptedDestination },
      },
      logPaths: [{ sources: ['src'], destinations: ['a', 'b'], flowControl: false }],
    });
    const src = comp(p, 'src', BatchSource);
    src.postAll(texts(4));
    src.postAll(texts(100).slice(4)); // room for 6 of these 96
    await until(() => expect(a.delivered).toEqual(texts(10)));
    await until(() => expect(comp(p, 'b', ScriptedDestination).delivered).toEqual(texts(100)));
    expect(statsOf(p, 'a').dropped).toEqual({ 'queue-full': 90 });
  });

  it('holds a batch until closeBatch() when batches are closed by hand', async () => {
    const { p, src, a } = await run({}, { batches: true });
    src.postAll(texts(5));
    expect(statsOf(p, 'src')).toMatchObject({ received: 5, posted: 0 });
    src.closeBatch();
    await until(() => expect(a.delivered).toEqual(texts(5)));
  });

  it('acknowledges each message of a batch; refuses a batch with any message unmarked, whole', async () => {
    const { p, src, a } = await run({}, { tracked: true });
    src.postAll(texts(3));
    await until(() =>
      expect(src.acks).toEqual([
        [0, 'delivered'],
        [1, 'delivered'],
        [2, 'delivered'],
      ]),
    );
    const half = [new LogMessage('marked', 9), new LogMessage('unmarked')];
    let thrown: unknown;
    try {
      src.postMessages(half);
    } catch (err) {
      thrown = err;
    }
    expect((thrown as LogpathError).code).toBe(ErrorCode.MISSING_BOOKMARK);
    expect(thrown).toBeInstanceOf(LogpathError);
    expect(statsOf(p, 'src').received).toBe(3);
    expect(a.delivered).toEqual(texts(3));
  });
});
