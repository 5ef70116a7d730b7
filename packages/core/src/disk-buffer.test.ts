import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstantAckTracker, type AckStatus } from './ack-tracker.js';
import type { DestinationConfig, PipelineConfig } from './config.js';
import { ConfigError, ErrorCode, LifecycleError } from './errors.js';
import { LogMessage } from './log-message.js';
import type { Pipeline } from './pipeline.js';
import { planPipeline } from './internal/validate-config.js';
import {
  ManualSource,
  ScriptedDestination,
  comp,
  oneToOne,
  startPipeline,
  statsOf,
  texts,
  until,
} from './internal/test-helpers.js';

// The diskBuffer option end to end: validation, acks at durability, messages
// kept across a stop, full buffers, and reloads.

let running: Pipeline[] = [];

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

/** Posts `m<i>` with bookmark i and records every ack. */
class AckedSource extends ManualSource {
  readonly acks: [unknown, AckStatus][] = [];
  override init(): void {
    this.ackTracker = new InstantAckTracker((b, s) => this.acks.push([b, s]));
  }
  postNumbered(from: number, to: number): boolean {
    let ok = true;
    for (let i = from; i <= to; i++) ok = this.postMessage(new LogMessage(`m${i}`, i));
    return ok;
  }
}

class InitSpy extends ScriptedDestination {
  static inits = 0;
  override init(): void {
    InitSpy.inits++;
  }
}

const NOT_CONNECTED = 5;
const delivered = (n: number): [number, AckStatus][] =>
  Array.from({ length: n }, (_, i) => [i + 1, 'delivered']);

async function setup(): Promise<{
  stateDir: string;
  config: (out: Partial<DestinationConfig>, flowControl?: boolean) => PipelineConfig;
}> {
  const stateDir = await mkdtemp(join(tmpdir(), 'logpath-db-'));
  const config = (out: Partial<DestinationConfig>, flowControl = true): PipelineConfig => {
    const c = oneToOne(
      { class: ScriptedDestination, timeReopen: 10, ...out },
      { stateDir, stopTimeout: 200 },
    );
    c.sources = { src: { class: AckedSource } };
    c.logPaths = [{ sources: ['src'], destinations: ['out'], flowControl }];
    return c;
  };
  return { stateDir, config };
}

async function start(config: PipelineConfig) {
  const r = await startPipeline(config);
  running.push(r.p);
  return { ...r, src: comp(r.p, 'src', AckedSource), out: comp(r.p, 'out', ScriptedDestination) };
}

describe('diskBuffer option', () => {
  it('is validated, naming each option, the expectation and the value', () => {
    const bad = (diskBuffer: unknown): readonly string[] => {
      const c = oneToOne({ class: ScriptedDestination, diskBuffer } as DestinationConfig);
      const err: unknown = (() => {
        try {
          planPipeline(c);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues;
    };
    expect(
      bad({
        maxBytes: 10,
        reliable: 'yes',
        segmentBytes: 1.5,
        memoryMessages: 0,
        dir: '',
        extra: 1,
      }),
    ).toEqual([
      'destinations.out.diskBuffer: unknown option "extra" (known: dir, maxBytes, reliable, segmentBytes, memoryMessages)',
      'destinations.out.diskBuffer.maxBytes must be an integer ≥ 1024, got 10',
      'destinations.out.diskBuffer.dir must be a non-empty string, got ""',
      'destinations.out.diskBuffer.reliable must be true or false, got "yes"',
      'destinations.out.diskBuffer.segmentBytes must be an integer from 1024 to 1073741824, got 1.5',
      'destinations.out.diskBuffer.memoryMessages must be an integer ≥ 1, got 0',
    ]);
    expect(bad({})).toEqual([
      'destinations.out.diskBuffer.maxBytes must be an integer ≥ 1024, got undefined',
    ]);
    expect(bad(true)).toEqual([
      'destinations.out.diskBuffer must be an object with "maxBytes", got true',
    ]);
    const two = oneToOne({
      class: ScriptedDestination,
      diskBuffer: { maxBytes: 4096, dir: '/tmp/x' },
    });
    two.destinations.b = {
      class: ScriptedDestination,
      diskBuffer: { maxBytes: 4096, dir: '/tmp/./x' },
    };
    expect(() => planPipeline(two)).toThrow(
      /destinations.b.diskBuffer.dir "\/tmp\/x" is also the disk buffer of destinations.out/,
    );
  });

  it('resolves the default directory and the defaults', () => {
    const plan = planPipeline(
      oneToOne(
        { class: ScriptedDestination, persistName: 'a/b c', diskBuffer: { maxBytes: 4096 } },
        { stateDir: '/var/lp' },
      ),
    );
    expect(plan.destinations[0]!.diskBuffer).toEqual({
      dir: '/var/lp/disk-buffer/a%2Fb%20c',
      maxBytes: 4096,
      reliable: true,
      segmentBytes: 16 * 1024 * 1024,
      memoryMessages: 10_000,
    });
  });

  it('acknowledges at durability, keeps undelivered messages over a stop and sends them first at the next start', async () => {
    const { stateDir, config } = await setup();
    const down = config({
      options: { send: () => NOT_CONNECTED },
      diskBuffer: { maxBytes: 1 << 20 },
    });
    const first = await start(down);
    first.src.postNumbered(1, 5);
    await until(() => expect(first.src.acks).toEqual(delivered(5)));
    expect(first.out.delivered).toEqual([]);
    expect(existsSync(join(stateDir, 'disk-buffer', 'destination.out'))).toBe(true);
    await first.p.stop();
    expect(statsOf(first.p, 'out').dropped).toEqual({});
    expect(first.log.find('5 undelivered messages stay in the disk buffer', 'info')).toHaveLength(
      1,
    );
    const second = await start(config({ diskBuffer: { maxBytes: 1 << 20 } }));
    second.src.postNumbered(6, 6);
    await until(() => expect(second.out.delivered).toEqual(texts(6)));
    expect(second.log.find('5 messages from the previous run')).toHaveLength(1);
  });

  it('opens the buffer before init(): a corrupt one fails the start naming the destination', async () => {
    const { stateDir, config } = await setup();
    const dir = join(stateDir, 'disk-buffer', 'destination.out');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'state.json'), 'not json');
    InitSpy.inits = 0;
    const err: unknown = await start(
      config({ class: InitSpy, diskBuffer: { maxBytes: 4096 } }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifecycleError);
    expect((err as LifecycleError).code).toBe(ErrorCode.INIT_FAILED);
    expect((err as Error).message).toMatch(
      /^destination "out" \(destination.out\): cannot open the disk buffer in .*destination.out/,
    );
    expect(InitSpy.inits).toBe(0);
  });

  it('without flow control drops what does not fit in maxBytes (queue-full)', async () => {
    const { config } = await setup();
    const { src, p } = await start(
      config({ options: { send: () => NOT_CONNECTED }, diskBuffer: { maxBytes: 1024 } }, false),
    );
    src.postNumbered(1, 100);
    await until(() => expect(src.acks).toHaveLength(100));
    const dropped = statsOf(p, 'out').dropped['queue-full'] ?? 0;
    expect(dropped).toBeGreaterThan(50);
    expect(src.acks.filter(([, s]) => s === 'dropped')).toHaveLength(dropped);
  });

  it('with flow control suspends the source while the buffer is full, and resumes it once delivered', async () => {
    const { config } = await setup();
    let up = false;
    const { src, out } = await start(
      config({ options: { send: () => (up ? 3 : NOT_CONNECTED) }, diskBuffer: { maxBytes: 1024 } }),
    );
    expect(src.postNumbered(1, 100)).toBe(false);
    expect(src.hasRoom).toBe(false);
    await until(() => expect(src.acks).toHaveLength(100)); // every message kept, none dropped
    expect(src.hasRoom).toBe(false);
    up = true;
    await until(() => expect(src.hasRoom).toBe(true));
    await until(() => expect(out.delivered).toEqual(texts(100)));
  });

  it('hands the open buffer over at a reload, and moves a memory queue into a new buffer', async () => {
    const { config } = await setup();
    const down = { options: { send: () => NOT_CONNECTED } };
    const { p, src } = await start(config(down));
    src.postNumbered(1, 2); // in a memory queue
    await p.reload(config({ ...down, diskBuffer: { maxBytes: 1 << 20 } }));
    await until(() => expect(src.acks).toEqual(delivered(2))); // the buffer took them over
    comp(p, 'src', AckedSource).postNumbered(3, 4);
    // Same directory again: the open buffer is handed over (opening it twice would fail).
    await p.reload(config({ diskBuffer: { maxBytes: 1 << 20 } }));
    await until(() => expect(comp(p, 'out', ScriptedDestination).delivered).toEqual(texts(4)));
  });
});
