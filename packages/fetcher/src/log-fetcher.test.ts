import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogMessage } from '@logpath/core';
import { FetchStatus } from './fetch-status.js';
import { LogFetcher } from './log-fetcher.js';
import {
  Scripted,
  logged,
  msg,
  ok,
  start,
  stopStarted,
  timeline,
  useFakeTime,
} from './internal/test-fetcher.js';

afterEach(stopStarted);

/** The calls when the first fetch() fails (ERROR) and the next one succeeds, timeReopen 1000. */
const ERROR_ONCE = ['open@0', 'fetch@0', 'close@0', 'open@1000', 'fetch@1000', 'fetch@1000'];

describe('LogFetcher statuses', () => {
  it('exposes the statuses as FetchStatus and as statics, with AxoSyslog numbers', () => {
    expect(FetchStatus).toEqual({
      ERROR: 0,
      NOT_CONNECTED: 1,
      SUCCESS: 2,
      TRY_AGAIN: 3,
      NO_DATA: 4,
    });
    expect([
      LogFetcher.ERROR,
      LogFetcher.NOT_CONNECTED,
      LogFetcher.SUCCESS,
      LogFetcher.TRY_AGAIN,
      LogFetcher.NO_DATA,
    ]).toEqual([0, 1, 2, 3, 4]);
    expect(Object.isFrozen(FetchStatus)).toBe(true);
  });
});

describe('LogFetcher driver (fake timers)', () => {
  it('opens once, then fetches again at once after SUCCESS, single messages and batches alike', async () => {
    useFakeTime();
    const { h, rec, t0 } = await start([
      ok('a'),
      [FetchStatus.SUCCESS, [msg('b'), msg('c')]],
      ok('d'),
    ]);
    const got = await h.waitFor(4);
    await rec.until('fetch', 4);
    expect(got.map((m) => m.getAsString('MESSAGE'))).toEqual(['a', 'b', 'c', 'd']);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'fetch@0', 'fetch@0', 'fetch@0']);
  });

  it('makes each fetch one batch: autoCloseBatches is off and closeBatch runs once per SUCCESS', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => msg(`m${i}`));
    const closeBatch = vi.spyOn(Scripted.prototype, 'closeBatch');
    try {
      const { h, source } = await start([[FetchStatus.SUCCESS, batch], ok('x')]);
      await h.waitFor(51);
      expect(source.autoCloseBatches).toBe(false);
      expect(closeBatch).toHaveBeenCalledTimes(2);
    } finally {
      closeBatch.mockRestore();
    }
  });

  it('waits fetchNoDataDelay after NO_DATA (1000 ms by default)', async () => {
    useFakeTime();
    const { rec, t0 } = await start([FetchStatus.NO_DATA, FetchStatus.NO_DATA]);
    await rec.untilThenAdvance('fetch', 1, 999);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0']);
    await vi.advanceTimersByTimeAsync(1);
    await rec.untilThenAdvance('fetch', 2, 1000);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'fetch@1000', 'fetch@2000']);
  });

  it('reads fetchNoDataDelay and timeReopen from the options, even when init() does not call super.init()', async () => {
    useFakeTime();
    const { rec, t0, source } = await start([FetchStatus.NO_DATA, FetchStatus.NOT_CONNECTED], {
      fetchNoDataDelay: 250,
      timeReopen: 70,
    });
    expect([source.fetchNoDataDelay, source.timeReopen]).toEqual([250, 70]);
    await rec.untilThenAdvance('fetch', 1, 250);
    await rec.untilThenAdvance('fetch', 2, 70);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'fetch@0',
      'fetch@250',
      'open@320',
      'fetch@320',
    ]);
  });

  it('TRY_AGAIN fetches again without waiting for a timer', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([FetchStatus.TRY_AGAIN, FetchStatus.TRY_AGAIN, ok('a')]);
    await h.waitFor(1);
    await rec.until('fetch', 4);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'fetch@0', 'fetch@0', 'fetch@0']);
  });

  it('NOT_CONNECTED waits timeReopen, then open() without close()', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([FetchStatus.NOT_CONNECTED, ok('back')]);
    await rec.untilThenAdvance('fetch', 1, 999);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0']);
    await vi.advanceTimersByTimeAsync(1);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'fetch@0',
      'open@1000',
      'fetch@1000',
      'fetch@1000',
    ]);
    expect(logged(h.logs, 'warn', /NOT_CONNECTED; open\(\) again in 1000 ms/)).toBe(true);
  });

  it('ERROR calls close(), waits timeReopen, then open()', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([FetchStatus.ERROR, ok('back')]);
    await rec.untilThenAdvance('close', 1, 999);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'close@0']);
    await vi.advanceTimersByTimeAsync(1);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual(ERROR_ONCE);
    expect(logged(h.logs, 'warn', /returned ERROR; close\(\), then open\(\) in 1000 ms/)).toBe(
      true,
    );
  });

  it('retries a failing open() every timeReopen before the first fetch', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([ok('a')], { opens: [false, new Error('refused'), true] });
    await rec.untilThenAdvance('open', 1, 1000);
    await rec.untilThenAdvance('open', 2, 1000);
    await rec.until('fetch', 2);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'open@1000',
      'open@2000',
      'fetch@2000',
      'fetch@2000',
    ]);
    expect(logged(h.logs, 'warn', /open\(\) returned false; retrying in 1000 ms/)).toBe(true);
    const threw = h.logs.find((l) => l.level === 'error' && /open\(\) threw/.test(l.message));
    expect(threw?.stack).toMatch(/refused/);
  });

  it('counts a thrown exception or a rejection as ERROR and logs it', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([
      new Error('sync boom'),
      () => Promise.reject(new Error('async boom')),
      ok('a'),
    ]);
    await rec.untilThenAdvance('close', 1, 1000);
    await rec.untilThenAdvance('close', 2, 1000);
    await rec.until('fetch', 4);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'fetch@0',
      'close@0',
      'open@1000',
      'fetch@1000',
      'close@1000',
      'open@2000',
      'fetch@2000',
      'fetch@2000',
    ]);
    const errors = h.logs.filter(
      (l) => l.level === 'error' && /fetch\(\) threw; counted as ERROR/.test(l.message),
    );
    expect(errors.map((e) => /(sync|async) boom/.exec(e.stack ?? '')?.[0])).toEqual([
      'sync boom',
      'async boom',
    ]);
    expect((await h.waitFor(1)).map((m) => m.getAsString('MESSAGE'))).toEqual(['a']);
  });

  it.each<[string, unknown, RegExp]>([
    ['undefined', undefined, /returned undefined/],
    ['a string', 'yes', /returned "yes"/],
    ['an unknown code', 7, /returned 7 \(not a FetchStatus\)/],
    ['a bare SUCCESS', FetchStatus.SUCCESS, /returned 2 \(SUCCESS needs a message\)/],
    ['a message without a tuple', new LogMessage('naked'), /returned LogMessage\("naked"\)/],
    ['a 1-tuple', [FetchStatus.SUCCESS], /returned \[2\]/],
    [
      'a 3-tuple',
      [FetchStatus.SUCCESS, new LogMessage('x'), 1],
      /returned \[2, LogMessage\("x"\), 1\]/,
    ],
    [
      'a non-SUCCESS tuple',
      [FetchStatus.NO_DATA, new LogMessage('x')],
      /returned \[4, LogMessage\("x"\)\]/,
    ],
    ['a string payload', [FetchStatus.SUCCESS, 'text'], /second element must be a LogMessage/],
    [
      'a batch with a stranger',
      [FetchStatus.SUCCESS, [new LogMessage('x'), { MESSAGE: 'y' }]],
      /item 1 is \{"MESSAGE":"y"\}, not a LogMessage/,
    ],
  ])(
    'counts %s as ERROR, logs what was returned, and posts nothing',
    async (_name, raw, expected) => {
      useFakeTime();
      const { rec, t0, h } = await start([{ raw }, ok('after')]);
      await rec.untilThenAdvance('close', 1, 1000);
      await rec.until('fetch', 3);
      expect(timeline(rec.calls, t0)).toEqual(ERROR_ONCE);
      const line = h.logs.find(
        (l) => l.level === 'error' && l.message.startsWith('fetch() returned'),
      );
      expect(line?.message).toMatch(expected);
      expect(line?.message).toMatch(/counted as ERROR/);
      expect((await h.waitFor(1)).map((m) => m.getAsString('MESSAGE'))).toEqual(['after']);
    },
  );

  it('counts a batch with a bookmarkless message as ERROR when an ackTracker is set, posting none of it', async () => {
    useFakeTime();
    const { h, rec } = await start(
      [
        [FetchStatus.SUCCESS, [msg('a', 1), msg('b')]],
        [FetchStatus.SUCCESS, msg('c', 3)],
      ],
      {
        tracker: true,
      },
    );
    await rec.untilThenAdvance('close', 1, 1000);
    expect((await h.waitFor(1)).map((m) => m.getAsString('MESSAGE'))).toEqual(['c']);
    expect(logged(h.logs, 'error', /message 1 has no bookmark/)).toBe(true);
  });

  it('treats [SUCCESS, []] as NO_DATA', async () => {
    useFakeTime();
    const { rec, t0 } = await start([[FetchStatus.SUCCESS, []], ok('a')], {
      fetchNoDataDelay: 300,
    });
    await rec.untilThenAdvance('fetch', 1, 300);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'fetch@300', 'fetch@300']);
  });

  it('rejects invalid fetcher options with a ConfigError naming the option and the value', async () => {
    await expect(start([], { fetchNoDataDelay: -5 })).rejects.toThrow(
      /fetchNoDataDelay must be a number of milliseconds from 0 to 2147483647, got -5/,
    );
    await expect(start([], { timeReopen: 'soon' as unknown as number })).rejects.toThrow(
      /timeReopen must be .* got "soon"/,
    );
  });
});
