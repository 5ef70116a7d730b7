import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineConfig } from '../config.js';
import { DestinationResult as R, type SendResult } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
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
} from './test-helpers.js';

// The source driver: flow control, batches, TRANSPORT and the run() loop.
// Routing and ack trackers are in source-driver-routing.test.ts.

let running: Pipeline[] = [];

async function run(config: PipelineConfig) {
  const { p, log } = await startPipeline(config);
  running.push(p);
  return { p, log, out: comp(p, 'out', ScriptedDestination) };
}

afterEach(async () => {
  for (const p of running) {
    if (vi.isFakeTimers()) await stopAdvancing(p);
    else await p.stop();
  }
  running = [];
  vi.useRealTimers();
});

const slowSend = (): Promise<SendResult> => new Promise((r) => setImmediate(() => r(R.SUCCESS)));

/** Posts `total` messages as fast as the window allows and samples what is in flight. */
function firehose(total: number, deliveredSoFar: () => number) {
  const seen = { posted: 0, falses: 0, suspends: 0, wakeups: 0, maxInFlight: 0 };
  class Firehose extends LogSource {
    override async run(): Promise<void> {
      for (let i = 1; i <= total && !this.signal.aborted; i++) {
        seen.posted++;
        const ok = this.postMessage(new LogMessage(`m${i}`));
        seen.maxInFlight = Math.max(seen.maxInFlight, seen.posted - deliveredSoFar());
        if (!ok) {
          seen.falses++;
          await this.waitForWindow();
        }
      }
    }
    override suspend(): void {
      seen.suspends++;
    }
    override wakeup(): void {
      seen.wakeups++;
    }
  }
  return { Firehose, seen };
}

describe('flow control', () => {
  it('keeps the window with a slow destination: nothing lost, in order, bounded in flight', async () => {
    const N = 20_000;
    const WINDOW = 100;
    let delivered = 0;
    const { Firehose, seen } = firehose(N, () => delivered);
    const { p, out } = await run({
      ...oneToOne({
        class: ScriptedDestination,
        options: { send: () => slowSend().finally(() => delivered++) },
      }),
      sources: { src: { class: Firehose, logIwSize: WINDOW } },
    });
    await until(() => expect(out.delivered).toHaveLength(N), 20_000);
    expect(out.delivered).toEqual(texts(N));
    expect(seen.falses).toBeGreaterThan(N / WINDOW / 2);
    expect(seen.suspends).toBeGreaterThan(0);
    expect(seen.wakeups).toBe(seen.suspends);
    expect(seen.maxInFlight).toBeGreaterThanOrEqual(WINDOW - 1);
    expect(seen.maxInFlight).toBeLessThanOrEqual(WINDOW + 2);
    expect(statsOf(p, 'src')).toMatchObject({ posted: N, suspended: 0, dropped: {} });
    expect(statsOf(p, 'out')).toMatchObject({ delivered: N, queued: 0, dropped: {} });
  });

  it('suspends the source while a destination queue is full (logFifoSize)', async () => {
    const N = 2000;
    let delivered = 0;
    const { Firehose, seen } = firehose(N, () => delivered);
    const { p, out } = await run({
      ...oneToOne({
        class: ScriptedDestination,
        options: { send: () => slowSend().finally(() => delivered++) },
        logFifoSize: 50,
      }),
      sources: { src: { class: Firehose, logIwSize: 10_000 } },
    });
    await until(() => expect(out.delivered).toHaveLength(N), 10_000);
    expect(out.delivered).toEqual(texts(N));
    expect(seen.falses).toBeGreaterThan(0);
    expect(seen.maxInFlight).toBeLessThanOrEqual(50 + 5);
    // Hysteresis: unblocked at three quarters, not after every delivered message.
    expect(seen.suspends).toBeLessThanOrEqual(N / 10);
    expect(statsOf(p, 'out').dropped).toEqual({});
  });

  it('without flow control, drops beyond logFifoSize as queue-full and logs it', async () => {
    const { p, log, out } = await run({
      ...oneToOne({ class: ScriptedDestination, logFifoSize: 10 }),
      logPaths: [{ sources: ['src'], destinations: ['out'], flowControl: false }],
    });
    const src = comp(p, 'src', ManualSource);
    const results = texts(100).map((t) => src.post(t));
    expect(results.every(Boolean)).toBe(true); // the window is freed at routing
    await until(() => expect(out.delivered).toEqual(texts(10)));
    expect(statsOf(p, 'out').dropped).toEqual({ 'queue-full': 90 });
    await p.stop(); // reports the drops not logged yet
    const lines = log.find(/^dropped \d+ messages?: queue full \(logFifoSize=10\)$/, 'error');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.reduce((n, r) => n + Number(/\d+/.exec(r.message)![0]), 0)).toBe(90);
  });
});

describe('batches and TRANSPORT', () => {
  it('with autoCloseBatches = false, hands nothing on until closeBatch()', async () => {
    class Batcher extends ManualSource {
      override init(): void {
        this.autoCloseBatches = false;
      }
    }
    const { p, out } = await run({
      ...oneToOne({ class: ScriptedDestination }),
      sources: { src: { class: Batcher } },
    });
    const src = comp(p, 'src', Batcher);
    src.post(...texts(3));
    await turns();
    expect(out.sends).toEqual([]);
    expect(statsOf(p, 'src')).toMatchObject({ received: 3, posted: 0 });
    src.closeBatch();
    await until(() => expect(out.delivered).toEqual(texts(3)));
    expect(statsOf(p, 'src').posted).toBe(3);
  });

  it('setTransportName() sets TRANSPORT on the messages posted afterwards', async () => {
    class Udp extends ManualSource {
      override init(): void {
        this.setTransportName('udp'); // allowed already in init()
      }
    }
    const { p, out } = await run({
      ...oneToOne({ class: ScriptedDestination }),
      sources: { src: { class: Udp } },
    });
    const src = comp(p, 'src', Udp);
    src.post('m1');
    src.setTransportName('tcp');
    src.post('m2');
    await until(() => expect(out.delivered).toEqual(['m1', 'm2']));
    expect(out.messages.map((m) => m.get('TRANSPORT'))).toEqual(['udp', 'tcp']);
  });
});

describe('the run() loop', () => {
  it('logs a run() that throws, with its stack, and restarts it after timeReopen', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    let runs = 0;
    class Crashy extends ManualSource {
      override async run(): Promise<void> {
        if (++runs === 1) throw new Error('kaput');
        this.post(`run ${runs}`);
        await super.run();
      }
    }
    const { p, log, out } = await run({
      ...oneToOne({ class: ScriptedDestination }),
      sources: { src: { class: Crashy, timeReopen: 2000 } },
    });
    await until(() =>
      expect(log.find('run() failed; restarting it in 2000 ms', 'error')).toHaveLength(1),
    );
    expect(log.find('run() failed')[0]!.stack).toMatch(/Error: kaput\n\s+at /);
    expect(statsOf(p, 'src').errors).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    await turns();
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => expect(out.delivered).toEqual(['run 2']));
    expect(runs).toBe(2);
  });

  it('ends the source when run() resolves on its own; the pipeline keeps running', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    let runs = 0;
    class OneShot extends LogSource {
      override run(): void {
        runs++;
        this.postMessage(new LogMessage('only'));
      }
    }
    const { p, log, out } = await run({
      ...oneToOne({ class: ScriptedDestination }),
      sources: { src: { class: OneShot, timeReopen: 10 } },
    });
    await until(() => expect(out.delivered).toEqual(['only']));
    await until(() =>
      expect(log.find('run() returned: the source has finished', 'info')).toHaveLength(1),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await turns();
    expect(runs).toBe(1);
    expect(p.state).toBe('running');
  });

  it('aborts this.signal before requestExit() and waits for run() to return', async () => {
    const seen: string[] = [];
    class Watcher extends ManualSource {
      override async run(): Promise<void> {
        await super.run();
        seen.push('run returned');
      }
      override requestExit(): void {
        seen.push(
          `requestExit: aborted=${this.signal.aborted} exitRequested=${this.exitRequested}`,
        );
      }
      override deinit(): void {
        seen.push('deinit');
      }
    }
    const { p } = await run({
      ...oneToOne({ class: ScriptedDestination }),
      sources: { src: { class: Watcher } },
    });
    expect(comp(p, 'src', Watcher).signal.aborted).toBe(false);
    await p.stop();
    expect(seen).toEqual([
      'requestExit: aborted=true exitRequested=true',
      'run returned',
      'deinit',
    ]);
  });
});
