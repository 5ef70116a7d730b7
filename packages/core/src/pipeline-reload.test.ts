import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineConfig } from './config.js';
import { ConfigError, ErrorCode, LifecycleError } from './errors.js';
import { DestinationResult as R, type SendResult } from './log-destination.js';
import { Pipeline } from './pipeline.js';
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
} from './internal/test-helpers.js';

// Pipeline.reload(): a failed reload leaves the running pipeline alone; a
// destination that keeps its persist name keeps its queued messages.

let running: Pipeline[] = [];

afterEach(async () => {
  for (const p of running) {
    if (vi.isFakeTimers()) await stopAdvancing(p);
    else await p.stop();
  }
  running = [];
  vi.useRealTimers();
});

async function start(config: PipelineConfig) {
  const { p, log } = await startPipeline(config);
  running.push(p);
  return { p, log };
}

/** A second destination class, so a reload visibly swaps the implementation. */
class Healthy extends ScriptedDestination {}

class Refuses extends ScriptedDestination {
  override init(): boolean {
    return false;
  }
}

const out = (p: Pipeline): ScriptedDestination => comp(p, 'out', ScriptedDestination);
const src = (p: Pipeline): ManualSource => comp(p, 'src', ManualSource);

describe('reload() that fails', () => {
  it('rejects a broken config and keeps the old pipeline running and delivering', async () => {
    const { p } = await start(oneToOne({ class: ScriptedDestination }));
    const [oldSrc, oldOut] = [src(p), out(p)];
    const broken = oneToOne({ class: ScriptedDestination, retries: 0 });
    broken.logPaths = [{ sources: ['src'], destinations: ['gone'] }];
    const err: unknown = await p.reload(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toHaveLength(2);
    expect(p.state).toBe('running');
    expect(src(p)).toBe(oldSrc);
    oldSrc.post('after');
    await until(() => expect(oldOut.delivered).toEqual(['after']));
    expect(oldOut.events).not.toContain('deinit');
  });

  it('rejects when a new component fails init(), undoes the new ones, and keeps the old', async () => {
    const { p } = await start(oneToOne({ class: ScriptedDestination }));
    const oldOut = out(p);
    const next = oneToOne({ class: Healthy });
    next.destinations.extra = { class: Refuses };
    next.logPaths = [{ sources: ['src'], destinations: ['out', 'extra'] }];
    const err: unknown = await p.reload(next).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifecycleError);
    expect((err as LifecycleError).code).toBe(ErrorCode.INIT_FAILED);
    expect((err as Error).message).toContain('destination "extra"');
    expect(p.state).toBe('running');
    expect(out(p)).toBe(oldOut);
    src(p).post('still here');
    await until(() => expect(oldOut.delivered).toEqual(['still here']));
  });

  it('needs a running pipeline', async () => {
    const p = new Pipeline(oneToOne({ class: ScriptedDestination }));
    await expect(p.reload(oneToOne({ class: ScriptedDestination }))).rejects.toBeInstanceOf(
      LifecycleError,
    );
  });
});

describe('reload() that succeeds', () => {
  it('hands the queue of a destination with the same persist name to its new instance', async () => {
    const { p } = await start(
      oneToOne({
        class: ScriptedDestination,
        persistName: 'store',
        options: { send: () => R.NOT_CONNECTED },
      }),
    );
    const oldOut = out(p);
    src(p).post(...texts(5));
    await until(() => expect(oldOut.events).toContain('close')); // m1 failed: the destination is down
    await p.reload(oneToOne({ class: Healthy, persistName: 'store' }));
    const fresh = comp(p, 'out', Healthy);
    expect(fresh).not.toBe(oldOut);
    await until(() => expect(fresh.delivered).toEqual(texts(5)));
    src(p).post('m6'); // the new source instance feeds the new destination
    await until(() => expect(fresh.delivered).toEqual(texts(6)));
    expect(oldOut.events.at(-1)).toBe('deinit');
    expect(oldOut.delivered).toEqual([]);
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 6, dropped: {} });
  });

  it('drains and stops a destination that the new config no longer has', async () => {
    const { p } = await start(oneToOne({ class: ScriptedDestination }));
    const oldOut = out(p);
    src(p).post(...texts(3));
    const next = oneToOne({ class: Healthy });
    await p.reload({
      ...next,
      destinations: { other: { class: Healthy } },
      logPaths: [{ sources: ['src'], destinations: ['other'] }],
    });
    expect(oldOut.delivered).toEqual(texts(3));
    expect(oldOut.events.slice(-2)).toEqual(['close', 'deinit']);
    expect(p.component('out')).toBeUndefined();
  });

  it('ignores the late result of a call that outlived stopTimeout: the queue is no longer its own', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    let release: (r: SendResult) => void = () => {};
    const hung = new Promise<SendResult>((r) => (release = r));
    const { p } = await start(
      oneToOne(
        { class: ScriptedDestination, persistName: 'store', options: { send: () => hung } },
        { stopTimeout: 100 },
      ),
    );
    src(p).post(...texts(3));
    await until(() => expect(out(p).sends).toEqual(['m1']));
    const next = oneToOne(
      {
        class: Healthy,
        persistName: 'store',
        options: { send: () => R.QUEUED },
        batchTimeout: 1000,
      },
      { stopTimeout: 100 },
    );
    const reloading = p.reload(next);
    await vi.advanceTimersByTimeAsync(100); // the old send() is still in flight
    await reloading;
    const fresh = comp(p, 'out', Healthy);
    await until(() => expect(fresh.sends).toEqual(texts(3)));
    release(R.SUCCESS); // the old instance's answer arrives after it was replaced
    await turns();
    await vi.advanceTimersByTimeAsync(1000);
    await until(() => expect(fresh.delivered).toEqual(texts(3)));
    expect(fresh.events.filter((e) => e.startsWith('flush'))).toEqual(['flush m1,m2,m3']);
    expect(statsOf(p, 'out')).toMatchObject({ delivered: 3, queued: 0 });
  });
});
