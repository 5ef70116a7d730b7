import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogMessage } from '@logpath/core';
import { FetchStatus } from './fetch-status.js';
import { LogFetcher } from './log-fetcher.js';
import { Scripted, msg, ok, start, takeStarted, timeline } from './internal/test-fetcher.js';

/**
 * Fakes the timers the driver waits on. setImmediate stays real: the
 * destinations drain on it, and the fake clock only moves when a test says so.
 */
function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

afterEach(async () => {
  const h = takeStarted();
  if (h) {
    const stopped = h.stop();
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(50);
    await stopped;
  }
  vi.useRealTimers();
});

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
    await rec.until('fetch', 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0']);
    await vi.advanceTimersByTimeAsync(1);
    await rec.until('fetch', 2);
    await vi.advanceTimersByTimeAsync(1000);
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
    await rec.until('fetch', 1);
    await vi.advanceTimersByTimeAsync(250);
    await rec.until('fetch', 2);
    await vi.advanceTimersByTimeAsync(70);
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
    await rec.until('fetch', 1);
    await vi.advanceTimersByTimeAsync(999);
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
    expect(
      h.logs.some(
        (l) => l.level === 'warn' && /NOT_CONNECTED; open\(\) again in 1000 ms/.test(l.message),
      ),
    ).toBe(true);
  });

  it('ERROR calls close(), waits timeReopen, then open()', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([FetchStatus.ERROR, ok('back')]);
    await rec.until('close', 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'close@0']);
    await vi.advanceTimersByTimeAsync(1);
    await rec.until('fetch', 3);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'fetch@0',
      'close@0',
      'open@1000',
      'fetch@1000',
      'fetch@1000',
    ]);
    expect(
      h.logs.some(
        (l) =>
          l.level === 'warn' &&
          /returned ERROR; close\(\), then open\(\) in 1000 ms/.test(l.message),
      ),
    ).toBe(true);
  });

  it('retries a failing open() every timeReopen before the first fetch', async () => {
    useFakeTime();
    const { rec, t0, h } = await start([ok('a')], { opens: [false, new Error('refused'), true] });
    await rec.until('open', 1);
    await vi.advanceTimersByTimeAsync(1000);
    await rec.until('open', 2);
    await vi.advanceTimersByTimeAsync(1000);
    await rec.until('fetch', 2);
    expect(timeline(rec.calls, t0)).toEqual([
      'open@0',
      'open@1000',
      'open@2000',
      'fetch@2000',
      'fetch@2000',
    ]);
    expect(
      h.logs.some(
        (l) => l.level === 'warn' && /open\(\) returned false; retrying in 1000 ms/.test(l.message),
      ),
    ).toBe(true);
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
    await rec.until('close', 1);
    await vi.advanceTimersByTimeAsync(1000);
    await rec.until('close', 2);
    await vi.advanceTimersByTimeAsync(1000);
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
    async (_name, raw, logged) => {
      useFakeTime();
      const { rec, t0, h } = await start([{ raw }, ok('after')]);
      await rec.until('close', 1);
      await vi.advanceTimersByTimeAsync(1000);
      await rec.until('fetch', 3);
      expect(timeline(rec.calls, t0)).toEqual([
        'open@0',
        'fetch@0',
        'close@0',
        'open@1000',
        'fetch@1000',
        'fetch@1000',
      ]);
      const line = h.logs.find(
        (l) => l.level === 'error' && l.message.startsWith('fetch() returned'),
      );
      expect(line?.message).toMatch(logged);
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
    await rec.until('close', 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect((await h.waitFor(1)).map((m) => m.getAsString('MESSAGE'))).toEqual(['c']);
    expect(
      h.logs.some((l) => l.level === 'error' && /message 1 has no bookmark/.test(l.message)),
    ).toBe(true);
  });

  it('treats [SUCCESS, []] as NO_DATA', async () => {
    useFakeTime();
    const { rec, t0 } = await start([[FetchStatus.SUCCESS, []], ok('a')], {
      fetchNoDataDelay: 300,
    });
    await rec.until('fetch', 1);
    await vi.advanceTimersByTimeAsync(300);
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
