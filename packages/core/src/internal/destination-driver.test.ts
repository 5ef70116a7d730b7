import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DestinationConfig } from '../config.js';
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

// Result codes of send() and flush(), driven through a Pipeline with one
// ManualSource and one ScriptedDestination. Batching, open(), fallback and
// stop() are in destination-driver-batching.test.ts.

let running: Pipeline[] = [];

async function setup(script: Script, driver: Omit<DestinationConfig, 'class' | 'options'> = {}) {
  const { p, log } = await startPipeline(
    oneToOne({ class: ScriptedDestination, options: script, ...driver }),
  );
  running.push(p);
  return { p, log, src: comp(p, 'src', ManualSource), out: comp(p, 'out', ScriptedDestination) };
}

const count = (d: ScriptedDestination, event: string): number =>
  d.events.filter((e) => e === event).length;

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});

afterEach(async () => {
  for (const p of running) await stopAdvancing(p);
  running = [];
  vi.useRealTimers();
});

describe('SUCCESS, true and false', () => {
  it('acknowledges each message on SUCCESS, in order, after a single open()', async () => {
    const { p, src, out } = await setup({});
    src.post(...texts(3));
    await until(() => expect(statsOf(p, 'out').delivered).toBe(3));
    expect(out.events).toEqual(['open', 'send m1', 'send m2', 'send m3']);
    expect(statsOf(p, 'out')).toMatchObject({
      received: 3,
      queued: 0,
      retried: 0,
      errors: 0,
      dropped: {},
    });
  });

  it('treats true as SUCCESS and false as ERROR', async () => {
    const { p, src, out } = await setup(
      { send: (_m, attempt) => attempt > 1 },
      { timeReopen: 500 },
    );
    src.post('m1');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(500);
    await until(() => expect(statsOf(p, 'out').delivered).toBe(1));
    expect(out.sends).toEqual(['m1', 'm1']);
    expect(statsOf(p, 'out')).toMatchObject({ retried: 1, dropped: {} });
  });
});

describe('ERROR', () => {
  it('resends after timeReopen, without reopening while isOpened() is true', async () => {
    const { p, src, out } = await setup(
      { send: (m, a) => (m.get('MESSAGE') === 'm1' && a === 1 ? R.ERROR : R.SUCCESS) },
      { timeReopen: 1000 },
    );
    src.post('m1', 'm2');
    await until(() => expect(out.sends).toEqual(['m1']));
    expect(statsOf(p, 'out').suspended).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    await turns();
    expect(out.sends).toEqual(['m1']);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.delivered).toEqual(['m1', 'm2']));
    expect(out.events).toEqual(['open', 'send m1', 'send m1', 'send m2']);
    expect(statsOf(p, 'out')).toMatchObject({ retried: 1, suspended: 0, dropped: {} });
  });

  it('closes and reopens before the resend when isOpened() returns false', async () => {
    let connected = false;
    const { src, out } = await setup(
      {
        open: () => (connected = true),
        isOpened: () => connected,
        send: (_m, a) => {
          if (a > 1) return R.SUCCESS;
          connected = false;
          return R.ERROR;
        },
      },
      { timeReopen: 1000 },
    );
    src.post('m1');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.delivered).toEqual(['m1']));
    expect(out.events).toEqual(['open', 'send m1', 'close', 'open', 'send m1']);
  });

  it('drops the batch after `retries` attempts, counts and logs it, and goes on', async () => {
    const { p, log, src, out } = await setup(
      { send: (m) => (m.get('MESSAGE') === 'm1' ? R.ERROR : R.SUCCESS) },
      { retries: 3, timeReopen: 1000 },
    );
    src.post('m1', 'm2');
    await until(() => expect(out.sends).toEqual(['m1']));
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.sends).toEqual(['m1', 'm1']));
    await vi.advanceTimersByTimeAsync(1000);
    // The third attempt is the last one: m1 is dropped and m2 is sent without a wait.
    await until(() => expect(out.delivered).toEqual(['m2']));
    expect(out.sends).toEqual(['m1', 'm1', 'm1', 'm2']);
    expect(statsOf(p, 'out')).toMatchObject({
      delivered: 1,
      retried: 2,
      dropped: { 'retries-exhausted': 1 },
    });
    expect(log.find('dropped 1 message: ERROR 3 times (retries=3)', 'error')).toHaveLength(1);
  });
});

describe('NOT_CONNECTED', () => {
  it('closes, waits timeReopen, opens and resends, without limit', async () => {
    const { p, src, out } = await setup(
      { send: (_m, a) => (a <= 5 ? R.NOT_CONNECTED : R.SUCCESS) },
      { retries: 2, timeReopen: 1000 },
    );
    src.post('m1');
    for (let i = 1; i <= 5; i++) {
      await until(() => expect(count(out, 'close')).toBe(i));
      await vi.advanceTimersByTimeAsync(999);
      await turns();
      expect(count(out, 'open')).toBe(i);
      await vi.advanceTimersByTimeAsync(1);
    }
    await until(() => expect(out.delivered).toEqual(['m1']));
    const cycle = ['send m1', 'close', 'open'];
    expect(out.events).toEqual([
      'open',
      ...cycle,
      ...cycle,
      ...cycle,
      ...cycle,
      ...cycle,
      'send m1',
    ]);
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 1, retried: 5, dropped: {} });
  });
});

describe('RETRY', () => {
  it('resends at once, without a wait or a reconnect', async () => {
    const { p, src, out } = await setup(
      { send: (_m, a) => (a < 3 ? R.RETRY : R.SUCCESS) },
      { retries: 3 },
    );
    src.post('m1');
    await until(() => expect(out.delivered).toEqual(['m1']));
    expect(out.events).toEqual(['open', 'send m1', 'send m1', 'send m1']);
    expect(statsOf(p, 'out').retried).toBe(2);
  });

  it('escalates to NOT_CONNECTED after `retries` attempts', async () => {
    const { log, src, out } = await setup(
      { send: (_m, a) => (a <= 3 ? R.RETRY : R.SUCCESS) },
      { retries: 3, timeReopen: 1000 },
    );
    src.post('m1');
    await until(() =>
      expect(out.events).toEqual(['open', 'send m1', 'send m1', 'send m1', 'close']),
    );
    await vi.advanceTimersByTimeAsync(999);
    await turns();
    expect(count(out, 'open')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.delivered).toEqual(['m1']));
    expect(out.events.slice(5)).toEqual(['open', 'send m1']);
    expect(log.find('RETRY 3 times; reconnecting', 'warn')).toHaveLength(1);
  });

  it('resets its counter on SUCCESS', async () => {
    // Two RETRYs per message: without the reset the third message's first RETRY would reconnect.
    const { src, out } = await setup(
      { send: (_m, a) => (a < 3 ? R.RETRY : R.SUCCESS) },
      { retries: 3 },
    );
    src.post(...texts(3));
    await until(() => expect(out.delivered).toEqual(texts(3)));
    expect(count(out, 'close')).toBe(0);
    expect(out.sends).toHaveLength(9);
  });
});

describe('DROP', () => {
  it('drops the message, counts and logs it, and goes on without suspending', async () => {
    const { p, log, src, out } = await setup({
      send: (m) => (m.get('MESSAGE') === 'm2' ? R.DROP : R.SUCCESS),
    });
    src.post(...texts(3));
    await until(() => expect(out.delivered).toEqual(['m1', 'm3']));
    expect(statsOf(p, 'out')).toMatchObject({
      delivered: 2,
      suspended: 0,
      dropped: { 'destination-drop': 1 },
    });
    expect(log.find('dropped 1 message: the destination returned DROP', 'error')).toHaveLength(1);
  });

  it('drops the whole batch when flush() returns DROP', async () => {
    let flushes = 0;
    const { p, src, out } = await setup(
      { send: () => R.QUEUED, flush: () => (++flushes === 1 ? R.DROP : R.SUCCESS) },
      { batchLines: 2 },
    );
    src.post(...texts(4));
    await until(() => expect(out.delivered).toEqual(['m3', 'm4']));
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 2, dropped: { 'destination-drop': 2 } });
  });
});

describe('failures of the plugin code count as ERROR', () => {
  const cases: [string, 'send' | 'flush', () => unknown, string][] = [
    [
      'send() throws',
      'send',
      () => {
        throw new Error('boom');
      },
      'send() threw; counted as ERROR',
    ],
    [
      'send() rejects',
      'send',
      () => Promise.reject(new Error('boom')),
      'send() threw; counted as ERROR',
    ],
    [
      'flush() throws',
      'flush',
      () => {
        throw new Error('boom');
      },
      'flush() threw; counted as ERROR',
    ],
    [
      'flush() rejects',
      'flush',
      () => Promise.reject(new Error('boom')),
      'flush() threw; counted as ERROR',
    ],
  ];

  it.each(cases)(
    '%s: logged with its stack, resent after timeReopen',
    async (_name, method, failure, line) => {
      let calls = 0;
      const failOnce = (): SendResult => (++calls === 1 ? (failure() as SendResult) : R.SUCCESS);
      const script: Script =
        method === 'send' ? { send: failOnce } : { send: () => R.QUEUED, flush: failOnce };
      const { p, log, src, out } = await setup(script, { timeReopen: 1000 });
      src.post('m1');
      await until(() => expect(log.find(line, 'error')).toHaveLength(1));
      const rec = log.find(line, 'error')[0]!;
      expect(rec.stack).toMatch(/Error: boom\n\s+at /);
      expect(statsOf(p, 'out')).toMatchObject({ errors: 1, delivered: 0 });
      await vi.advanceTimersByTimeAsync(1000);
      await until(() => expect(out.delivered).toEqual(['m1']));
      expect(statsOf(p, 'out')).toMatchObject({ retried: 1, delivered: 1, dropped: {} });
    },
  );

  it.each([undefined, 42, 'x', null])(
    'send() returning %j is logged and counted as ERROR',
    async (bad) => {
      const { p, log, src, out } = await setup(
        { send: (_m, a) => (a === 1 ? (bad as unknown as SendResult) : R.SUCCESS) },
        { timeReopen: 1000 },
      );
      src.post('m1');
      await until(() =>
        expect(log.find('not a result code or boolean; counted as ERROR', 'error')).toHaveLength(1),
      );
      expect(log.records.find((r) => r.level === 'error')!.message).toContain(
        `send() returned ${String(bad)}`,
      );
      await vi.advanceTimersByTimeAsync(1000);
      await until(() => expect(out.delivered).toEqual(['m1']));
      expect(statsOf(p, 'out')).toMatchObject({ errors: 1, retried: 1 });
    },
  );

  it('flush() returning QUEUED is logged and counted as ERROR', async () => {
    let flushes = 0;
    const { log, src, out } = await setup(
      { send: () => R.QUEUED, flush: () => (++flushes === 1 ? R.QUEUED : R.SUCCESS) },
      { timeReopen: 1000 },
    );
    src.post('m1');
    await until(() => expect(log.find('flush() returned QUEUED', 'error')).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(out.delivered).toEqual(['m1']));
  });
});
