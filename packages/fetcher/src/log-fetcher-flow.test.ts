import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogDestination, Pipeline, defineConfig, type LogMessage } from '@logpath/core';
import { FetchStatus, type FetchResult } from './fetch-status.js';
import {
  Recorder,
  Scripted,
  logged,
  msg,
  ok,
  start,
  stopStarted,
  timeline,
  useFakeTime,
  type Step,
} from './internal/test-fetcher.js';

/** Holds every send() until open() is called. */
let openGate!: () => void;
const gate = {
  sent: [] as string[],
  opened: new Promise<void>((r) => (openGate = r)),
  open(): void {
    openGate();
  },
};

class GateDestination extends LogDestination {
  override async send(m: LogMessage): Promise<3> {
    await gate.opened;
    gate.sent.push(m.getAsString('MESSAGE') ?? '');
    return this.SUCCESS;
  }
}

afterEach(stopStarted);

describe('LogFetcher flow control and fairness', () => {
  it('does not fetch while the window is full, and fetches again once it has room', async () => {
    const rec = new Recorder();
    const waitForWindow = vi.spyOn(Scripted.prototype, 'waitForWindow');
    const p = new Pipeline(
      defineConfig({
        sources: {
          f: {
            class: Scripted,
            options: {
              script: [[FetchStatus.SUCCESS, [msg('a'), msg('b'), msg('c')]], ok('d')],
              rec,
            },
            logIwSize: 2,
          },
        },
        destinations: { d: { class: GateDestination } },
        logPaths: [{ sources: ['f'], destinations: ['d'] }],
        log: { stderr: false },
      }),
    );
    await p.start();
    try {
      // The first batch overfills the window of 2; the destination holds every ack.
      await vi.waitFor(() => expect(waitForWindow).toHaveBeenCalled());
      expect(rec.count('fetch')).toBe(1);
      gate.open();
      await vi.waitFor(() => expect(gate.sent).toEqual(['a', 'b', 'c', 'd']));
      await rec.until('fetch', 3); // the third one idles until exit
    } finally {
      await p.stop();
      waitForWindow.mockRestore();
    }
    expect(rec.calls.at(-1)?.[0]).toBe('close');
  });

  it.each<[string, Step]>([
    ['TRY_AGAIN', FetchStatus.TRY_AGAIN],
    ['SUCCESS without flow control', () => ok('x')],
    ['SUCCESS resolved as a promise', () => Promise.resolve(ok('x'))],
  ])('does not starve the event loop on endless %s', async (_name, step) => {
    const { rec } = await start(
      Array.from({ length: 200_000 }, () => step),
      {},
      { flowControl: false },
    );
    await rec.until('fetch', 10);
    // A timer fires while the loop is busy, not after it ran out of script…
    await new Promise<void>((r) => setTimeout(r, 0));
    // …and the loop goes on afterwards.
    await rec.until('fetch', rec.count('fetch') + 1000);
    expect(rec.count('fetch')).toBeLessThan(200_000);
  });
});

describe('LogFetcher exit', () => {
  it('ends promptly during a long NO_DATA wait and calls close()', async () => {
    useFakeTime();
    const { h, rec, t0 } = await start([FetchStatus.NO_DATA], { fetchNoDataDelay: 3_600_000 });
    await rec.untilThenAdvance('fetch', 1, 10);
    await h.stop(); // no timer is advanced: the wait must end on the signal
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'close@10']);
  });

  it('ends promptly during a long timeReopen wait after a failed open()', async () => {
    useFakeTime();
    const { h, rec, t0 } = await start([], { opens: [false], timeReopen: 3_600_000 });
    await rec.until('open', 1);
    await h.stop();
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'close@0']);
  });

  it('ends promptly during a pending fetch() that honours this.signal', async () => {
    useFakeTime();
    let aborted = false;
    const { h, rec, t0 } = await start([
      (f) =>
        new Promise<FetchResult>((_, reject) =>
          f.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
    ]);
    await rec.until('fetch', 1);
    await h.stop();
    expect(aborted).toBe(true);
    expect(timeline(rec.calls, t0)).toEqual(['open@0', 'fetch@0', 'close@0']);
    expect(h.logs.some((l) => l.level === 'error')).toBe(false);
  });

  it('abandons a pending fetch() that ignores the signal, and reports the messages it brings too late', async () => {
    let resolveLate!: (r: FetchResult) => void;
    const { h, rec } = await start([() => new Promise<FetchResult>((r) => (resolveLate = r))], {
      fetchNoDataDelay: 3_600_000,
    });
    await rec.until('fetch', 1);
    const t0 = performance.now();
    await h.stop();
    expect(performance.now() - t0).toBeLessThan(5000); // not the 10 s stopTimeout
    expect(rec.calls.map((c) => c[0])).toEqual(['open', 'fetch', 'close']);
    resolveLate([FetchStatus.SUCCESS, [msg('late1'), msg('late2')]]);
    await vi.waitFor(() =>
      expect(logged(h.logs, 'warn', /after exit with 2 message\(s\); they were not posted/)).toBe(
        true,
      ),
    );
    expect(h.messages).toHaveLength(0);
  });

  it('posts a SUCCESS that arrives before exit and calls close() once at exit', async () => {
    const { h, rec } = await start([ok('a'), ok('b')]);
    await h.waitFor(2);
    await h.stop();
    expect(rec.count('close')).toBe(1);
    expect(rec.calls.at(-1)?.[0]).toBe('close');
  });
});
