import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DestinationConfig, PipelineConfig } from '../config.js';
import { DestinationResult as R, type SendResult } from '../log-destination.js';
import type { Pipeline } from '../pipeline.js';
import {
  FAKE_TIMERS,
  ManualSource,
  ScriptedDestination,
  comp,
  oneToOne,
  startPipeline,
  statsOf,
  stopAdvancing,
  texts,
  turns,
  until,
  type Script,
} from './test-helpers.js';

// The destination driver's batching (QUEUED + flush), resend order, async
// plugin methods, open() at startup, fallback destinations and stop().

let running: Pipeline[] = [];

async function run(config: PipelineConfig) {
  const { p, log } = await startPipeline(config);
  running.push(p);
  return { p, log, src: comp(p, 'src', ManualSource), out: comp(p, 'out', ScriptedDestination) };
}

function setup(script: Script, driver: Omit<DestinationConfig, 'class' | 'options'> = {}) {
  return run(oneToOne({ class: ScriptedDestination, options: script, ...driver }));
}

const flushes = (d: ScriptedDestination): string[] => d.events.filter((e) => e.startsWith('flush'));
const later = <T>(ms: number, value: T): Promise<T> =>
  new Promise((r) => setTimeout(() => r(value), ms));
const nextTurn = <T>(value: T): Promise<T> => new Promise((r) => setImmediate(() => r(value)));
/** Lets only microtasks run: a drain left to setImmediate cannot start meanwhile. */
const microtasks = async (): Promise<void> => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});

afterEach(async () => {
  for (const p of running) await stopAdvancing(p);
  running = [];
  vi.useRealTimers();
});

describe('QUEUED and flush()', () => {
  it('flushes every batchLines messages', async () => {
    const { p, src, out } = await setup(
      { send: () => R.QUEUED },
      { batchLines: 3, batchTimeout: 60_000 },
    );
    src.post(...texts(7));
    await until(() => expect(flushes(out)).toEqual(['flush m1,m2,m3', 'flush m4,m5,m6']));
    await until(() => expect(out.sends).toHaveLength(7));
    await turns();
    expect(flushes(out)).toHaveLength(2);
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 6, queued: 1 });
  });

  it('flushes once the batch holds batchBytes', async () => {
    const big = texts(4).map((t) => t.padEnd(93, '.')); // ~100 bytes each with the MESSAGE key
    const { p, src, out } = await setup(
      { send: () => R.QUEUED },
      { batchLines: 100, batchBytes: 250, batchTimeout: 60_000 },
    );
    src.post(...big);
    await until(() => expect(out.sends).toHaveLength(4));
    await turns();
    expect(out.delivered).toEqual(big.slice(0, 3));
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 3, queued: 1 });
  });

  it('flushes a partial batch batchTimeout ms after its first message', async () => {
    const { src, out } = await setup(
      { send: () => R.QUEUED },
      { batchLines: 100, batchTimeout: 500 },
    );
    src.post('m1');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(300);
    src.post('m2');
    await until(() => expect(out.sends).toEqual(['m1', 'm2']));
    await vi.advanceTimersByTimeAsync(199);
    await turns();
    expect(flushes(out)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.delivered).toEqual(['m1', 'm2']));
    expect(flushes(out)).toEqual(['flush m1,m2']);
  });

  it('with batchTimeout 0, flushes as soon as the queue runs empty', async () => {
    const { src, out } = await setup({ send: () => R.QUEUED }, { batchLines: 100 });
    src.post(...texts(3));
    await until(() => expect(out.delivered).toEqual(texts(3)));
    src.post('m4');
    await until(() => expect(out.delivered).toEqual(texts(4)));
    expect(flushes(out)).toEqual(['flush m1,m2,m3', 'flush m4']);
  });

  it('drains a whole batch when the posting code returns, not at the end of the loop turn', async () => {
    const { src, out } = await run(
      oneToOne(
        { class: ScriptedDestination, options: { send: () => R.QUEUED }, batchLines: 2000 },
        { sources: { src: { class: ManualSource, logIwSize: 10_000 } } },
      ),
    );
    src.post(...texts(1999));
    await microtasks();
    expect(out.sends).toHaveLength(0);
    src.post('m2000');
    await microtasks();
    expect(flushes(out)).toHaveLength(1);
    expect(out.delivered).toHaveLength(2000);
    // Below a batch (and below 1024 queued), the drain still waits for the turn's end.
    src.post('m2001');
    await microtasks();
    expect(out.sends).toHaveLength(2000);
    await until(() => expect(out.delivered).toHaveLength(2001));
  });

  it('drains at once when a source fills its window, so the source wakes within the turn', async () => {
    // The defaults: a window of 1000 messages, batches of 100.
    const { src, out } = await setup({ send: () => R.QUEUED });
    expect(src.post(...texts(1000))).toBe(false);
    await microtasks();
    expect(out.delivered).toHaveLength(1000);
    expect(src.post('m1001')).toBe(true);
  });

  it('SUCCESS from send() also acknowledges the QUEUED messages before it', async () => {
    const { p, src, out } = await setup(
      { send: (m) => (m.get('MESSAGE') === 'm3' ? R.SUCCESS : R.QUEUED) },
      { batchLines: 100, batchTimeout: 60_000 },
    );
    src.post(...texts(3));
    await until(() => expect(statsOf(p, 'out').delivered).toBe(3));
    expect(flushes(out)).toEqual([]);
  });
});

describe('resend order', () => {
  it('resends exactly the same messages in the same order after ERROR and RETRY', async () => {
    let n = 0;
    const { src, out } = await setup(
      { send: () => R.QUEUED, flush: () => [R.ERROR, R.RETRY][n++] ?? R.SUCCESS },
      { batchLines: 3, timeReopen: 1000 },
    );
    src.post(...texts(5));
    await until(() => expect(flushes(out)).toEqual(['flush m1,m2,m3']));
    src.post('m6'); // arrives while the destination is suspended
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.delivered).toEqual(texts(6)));
    const b = ['m1', 'm2', 'm3'];
    expect(out.sends).toEqual([...b, ...b, ...b, 'm4', 'm5', 'm6']);
  });

  it('resends from the start of the batch when send() fails in the middle of it', async () => {
    const { p, src, out } = await setup(
      { send: (m, a) => (m.get('MESSAGE') === 'm3' && a === 1 ? R.NOT_CONNECTED : R.QUEUED) },
      { batchLines: 100, timeReopen: 1000 },
    );
    src.post(...texts(4));
    await until(() => expect(out.events).toContain('close'));
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.delivered).toEqual(texts(4)));
    expect(out.sends).toEqual(['m1', 'm2', 'm3', 'm1', 'm2', 'm3', 'm4']);
    // retried counts messages: the three of the failed batch were resent once.
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 4, retried: 3 });
  });
});

describe('a long queue', () => {
  it('delivers 12,000 messages once each and in order through many rewinds', async () => {
    const N = 12_000; // past the driver's yield point and the queue's compaction threshold
    let flushCount = 0;
    let rewinds = 0;
    const flush = (): SendResult => {
      const n = ++flushCount;
      const r = n === 50 ? R.ERROR : n % 7 === 0 ? R.RETRY : R.SUCCESS;
      if (r !== R.SUCCESS) rewinds++;
      return r;
    };
    const { p, src, out } = await run(
      oneToOne(
        {
          class: ScriptedDestination,
          options: { send: () => R.QUEUED, flush },
          batchLines: 100,
          logFifoSize: N,
          timeReopen: 1000,
        },
        { sources: { src: { class: ManualSource, logIwSize: N } } },
      ),
    );
    src.post(...texts(N));
    await until(() => expect(flushCount).toBe(50)); // ERROR: suspended with part of the queue acked
    expect(statsOf(p, 'out').queued).toBe(N - 100 * (50 - 1 - Math.floor(49 / 7)));
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.delivered).toHaveLength(N));
    expect(out.delivered).toEqual(texts(N));
    expect(statsOf(p, 'out')).toMatchObject({
      delivered: N,
      queued: 0,
      retried: rewinds * 100, // each rewound batch holds batchLines messages
      dropped: {},
    });
  });
});

describe('async plugin methods', () => {
  it('awaits open(), send() and flush() that return promises', async () => {
    const { src, out } = await setup({
      open: () => later(100, true),
      send: () => nextTurn<SendResult>(R.QUEUED),
      flush: () => later(50, R.SUCCESS),
    });
    src.post(...texts(3));
    await turns();
    expect(out.sends).toEqual([]); // open() has not resolved yet
    await vi.advanceTimersByTimeAsync(100);
    await until(() => expect(flushes(out)).toEqual(['flush m1,m2,m3']));
    src.post('m4'); // the flush is in flight: m4 waits for it
    await turns();
    expect(out.sends).toEqual(texts(3));
    await vi.advanceTimersByTimeAsync(50);
    await until(() => expect(out.delivered).toEqual(texts(3)));
    await until(() => expect(out.sends).toEqual(texts(4)));
  });
});

describe('open()', () => {
  const failures: [string, () => boolean | Promise<boolean>][] = [
    ['returns false', () => false],
    ['resolves false', () => Promise.resolve(false)],
    [
      'throws',
      () => {
        throw new Error('refused');
      },
    ],
    ['rejects', () => Promise.reject(new Error('refused'))],
  ];

  it.each(failures)('that %s at startup is retried every timeReopen', async (_name, fail) => {
    let opens = 0;
    const { p, log, src, out } = await setup(
      { open: () => (++opens >= 4 ? true : fail()) },
      { timeReopen: 1000 },
    );
    await until(() => expect(opens).toBe(1));
    src.post('m1');
    for (let i = 2; i <= 4; i++) {
      await vi.advanceTimersByTimeAsync(999);
      await turns();
      expect(opens).toBe(i - 1);
      expect(out.sends).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await until(() => expect(opens).toBe(i));
    }
    await until(() => expect(out.delivered).toEqual(['m1']));
    // One warning while the target stays down (not one per attempt), one line when it is back.
    expect(log.find('open() failed; retrying every 1000 ms', 'warn')).toHaveLength(1);
    expect(log.find('open() succeeded after 3 failed attempts', 'info')).toHaveLength(1);
    expect(statsOf(p, 'out').errors).toBeGreaterThanOrEqual(3);
  });

  it('logs an open() that throws with its stack', async () => {
    let opens = 0;
    const { log } = await setup({
      open: () => {
        if (++opens === 1) throw new Error('refused');
      },
    });
    await until(() => expect(log.find('open() threw', 'error')).toHaveLength(1));
    expect(log.find('open() threw')[0]!.stack).toMatch(/Error: refused\n\s+at /);
  });
});

describe('fallback', () => {
  function withFallback(out: Script, driver: Omit<DestinationConfig, 'class' | 'options'> = {}) {
    const config = oneToOne({
      class: ScriptedDestination,
      options: out,
      fallback: 'spare',
      ...driver,
    });
    config.destinations.spare = { class: ScriptedDestination };
    return run(config);
  }

  it('receives the messages its primary drops', async () => {
    const { p, log, src, out } = await withFallback({
      send: (m) => (m.get('MESSAGE') === 'm2' ? R.DROP : R.SUCCESS),
    });
    const spare = comp(p, 'spare', ScriptedDestination);
    src.post(...texts(3));
    await until(() => expect(spare.delivered).toEqual(['m2']));
    expect(out.delivered).toEqual(['m1', 'm3']);
    expect(statsOf(p, 'out')).toMatchObject({ dropped: {}, fallback: 1 });
    expect(statsOf(p, 'spare')).toMatchObject({ received: 1, delivered: 1 });
    expect(log.find('sent to fallback spare', 'error')).toHaveLength(1);
  });

  it('receives the messages whose retries are exhausted', async () => {
    const { p, src } = await withFallback(
      { send: () => R.ERROR },
      { retries: 2, timeReopen: 1000 },
    );
    const spare = comp(p, 'spare', ScriptedDestination);
    src.post('m1');
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(spare.delivered).toEqual(['m1']));
    expect(statsOf(p, 'out')).toMatchObject({ dropped: {}, fallback: 1 });
  });
});

describe('stop()', () => {
  it('drains the queue and the pending batch before it closes', async () => {
    const { p, src, out } = await setup(
      { send: () => nextTurn<SendResult>(R.QUEUED) },
      { batchLines: 100, batchTimeout: 60_000 },
    );
    src.post(...texts(5));
    await p.stop(); // no clock movement: neither batchTimeout nor stopTimeout may be needed
    expect(out.delivered).toEqual(texts(5));
    expect(out.events.slice(-3)).toEqual(['flush m1,m2,m3,m4,m5', 'close', 'deinit']);
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 5, queued: 0, dropped: {} });
  });

  it('counts and logs what is still queued after stopTimeout as dropped (shutdown)', async () => {
    const { p, log, src, out } = await run(
      oneToOne(
        { class: ScriptedDestination, options: { send: () => R.NOT_CONNECTED } },
        { stopTimeout: 1000 },
      ),
    );
    src.post(...texts(3));
    await until(() => expect(out.sends).toEqual(['m1']));
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(999);
    await turns();
    expect(stopped).toBe(false);
    expect(out.sends).toEqual(['m1']);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 0, queued: 0, dropped: { shutdown: 3 } });
    expect(
      log.find('3 messages still queued at shutdown were not delivered', 'error'),
    ).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    await turns();
    expect(out.events.at(-1)).toBe('deinit'); // nothing runs after deinit
  });

  it('closes a connection whose open() was still in flight when stopTimeout ran out', async () => {
    let opens = 0;
    const { p, src, out } = await run(
      oneToOne(
        {
          class: ScriptedDestination,
          options: {
            open: () => (++opens === 1 ? true : later(5000, true)),
            send: () => R.NOT_CONNECTED,
          },
        },
        { stopTimeout: 1500 },
      ),
    );
    src.post('m1');
    await until(() => expect(out.events).toEqual(['open', 'send m1', 'close']));
    const stopping = p.stop();
    await vi.advanceTimersByTimeAsync(1500); // the reopen at 1000 ms hangs until 6000 ms
    await stopping;
    expect(out.events).toEqual(['open', 'send m1', 'close', 'open', 'deinit']);
    await vi.advanceTimersByTimeAsync(5000);
    await turns();
    expect(out.events.slice(4)).toEqual(['deinit', 'close']);
    expect(vi.getTimerCount()).toBe(0); // and no reopen timer is left behind
  });
});
