import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineConfig } from './config.js';
import { ConfigError, ErrorCode, LifecycleError } from './errors.js';
import { LogDestination } from './log-destination.js';
import { Pipeline } from './pipeline.js';
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

// Pipeline: config validation, persist names, init failures, stop(),
// component() and stats(). reload() is in pipeline-reload.test.ts.

let running: Pipeline[] = [];

beforeEach(() => {
  calls = [];
});

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

async function startFails(config: unknown): Promise<unknown> {
  const p = new Pipeline(config as PipelineConfig);
  running.push(p);
  return p.start().then(
    () => new Error('start() resolved'),
    (err: unknown) => err,
  );
}

/** Every lifecycle call of every instance, in order, as "<call> <persistName>". */
let calls: string[] = [];

class Recorded extends ManualSource {
  override init(options: { fail?: 'false' | 'throw' }): boolean | void {
    calls.push(`init ${this.persistName}`);
    if (options.fail === 'false') return false;
    if (options.fail === 'throw') throw new Error('no such port');
  }
  override async run(): Promise<void> {
    calls.push(`run ${this.persistName}`);
    await super.run();
  }
  override deinit(): void {
    calls.push(`deinit ${this.persistName}`);
  }
}

class RecordedDest extends LogDestination<{ fail?: 'false' | 'throw' }> {
  override init(options: { fail?: 'false' | 'throw' }): boolean | void {
    calls.push(`init ${this.persistName}`);
    if (options.fail === 'false') return false;
    if (options.fail === 'throw') throw new Error('bad url');
  }
  override send(): 3 {
    return this.SUCCESS;
  }
  override deinit(): void {
    calls.push(`deinit ${this.persistName}`);
  }
}

describe('config validation', () => {
  it('reports every problem at once, naming the option and the value, and starts nothing', async () => {
    class NotASource {}
    const err = await startFails({
      sources: {
        s1: { class: Recorded, logIwSize: 0 },
        s2: { class: NotASource },
        s3: { class: RecordedDest },
      },
      destinations: { d1: { class: RecordedDest, retries: -1, timeReopen: 'soon', batchLinez: 5 } },
      logPaths: [{ sources: ['s1', 'ghost'], destinations: ['nowhere'] }],
      log: { stderr: false },
    });
    expect(err).toBeInstanceOf(ConfigError);
    const { issues, code, message } = err as ConfigError;
    expect(code).toBe(ErrorCode.INVALID_CONFIG);
    expect(issues).toEqual(
      expect.arrayContaining([
        'sources.s1.logIwSize must be an integer ≥ 1, got 0',
        'sources.s2.class must be a subclass of LogSource, got function NotASource',
        'sources.s3.class must be a subclass of LogSource, got function RecordedDest',
        'destinations.d1.retries must be an integer ≥ 1, got -1',
        'destinations.d1.timeReopen must be a number of milliseconds from 0 to 2147483647, got "soon"',
        expect.stringMatching(
          /^destinations\.d1: unknown option "batchLinez" \(known: .*batchLines/,
        ),
        'logPaths[0].sources names an unknown source "ghost"',
        'logPaths[0].destinations names an unknown destination "nowhere"',
      ]),
    );
    expect(issues).toHaveLength(8);
    expect(message).toMatch(/^8 configuration errors:\n- /);
    expect(calls).toEqual([]);
  });

  it('rejects fallbacks that form a cycle, naming every member once', async () => {
    const err = await startFails({
      sources: { in: { class: Recorded } },
      destinations: {
        a: { class: RecordedDest, fallback: 'b' },
        b: { class: RecordedDest, fallback: 'c' },
        c: { class: RecordedDest, fallback: 'a' },
        d: { class: RecordedDest, fallback: 'a' },
      },
      logPaths: [{ sources: ['in'], destinations: ['a', 'd'] }],
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      'destinations: fallbacks form a cycle (a → b → c → a); a message all of them drop would never end',
    ]);
  });

  it('rejects a config that is not an object', async () => {
    expect(await startFails(null)).toBeInstanceOf(ConfigError);
  });
});

describe('persist names', () => {
  it('rejects two components with the same explicit persistName, naming both', async () => {
    const err = await startFails({
      ...oneToOne({ class: ScriptedDestination, persistName: 'shared' }),
      sources: { src: { class: ManualSource, persistName: 'shared' } },
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.PERSIST_NAME_COLLISION);
    expect((err as ConfigError).message).toBe(
      'persist name "shared" is used by both source "src" and destination "out"; set a unique persistName on one of them',
    );
  });

  it('rejects two instances whose generatePersistName() agree, naming both', async () => {
    class PortSource extends ManualSource {
      static generatePersistName(options: { port: number }): string {
        return `port-${options.port}`;
      }
    }
    const err = await startFails({
      sources: {
        a: { class: PortSource, options: { port: 514 } },
        b: { class: PortSource, options: { port: 514 } },
        c: { class: PortSource, options: { port: 601 } },
      },
      destinations: { out: { class: ScriptedDestination } },
      logPaths: [{ sources: ['a', 'b', 'c'], destinations: ['out'] }],
      log: { stderr: false },
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.PERSIST_NAME_COLLISION);
    expect((err as ConfigError).message).toBe(
      'persist name "PortSource.port-514" is used by both source "a" and source "b"; set a unique persistName on one of them',
    );
  });
});

describe('init failures', () => {
  const cases = [
    ['source', 'false', /^source "s2" \(source\.s2\): init\(\) returned false$/],
    ['source', 'throw', /^source "s2" \(source\.s2\): init\(\) failed: no such port$/],
    ['destination', 'false', /^destination "d2" \(destination\.d2\): init\(\) returned false$/],
    ['destination', 'throw', /^destination "d2" \(destination\.d2\): init\(\) failed: bad url$/],
  ] as const;

  it.each(cases)(
    'a %s whose init() does "%s" fails start(), undoing the others',
    async (kind, fail, msg) => {
      const err = await startFails({
        sources: {
          s1: { class: Recorded },
          s2: { class: Recorded, options: kind === 'source' ? { fail } : {} },
        },
        destinations: {
          d1: { class: RecordedDest },
          d2: { class: RecordedDest, options: kind === 'destination' ? { fail } : {} },
        },
        logPaths: [{ sources: ['s1', 's2'], destinations: ['d1', 'd2'] }],
        log: { stderr: false },
      });
      expect(err).toBeInstanceOf(LifecycleError);
      expect((err as LifecycleError).code).toBe(ErrorCode.INIT_FAILED);
      expect((err as Error).message).toMatch(msg);
      if (fail === 'throw') expect((err as Error).cause).toBeInstanceOf(Error);
      const inits = [
        'init destination.d1',
        'init destination.d2',
        'init source.s1',
        'init source.s2',
      ];
      const reached = kind === 'source' ? inits : inits.slice(0, 2);
      const undone = reached
        .slice(0, -1)
        .reverse()
        .map((c) => c.replace('init', 'deinit'));
      expect(calls).toEqual([...reached, ...undone]); // no run(), the failed one not deinited
      expect(running.at(-1)!.state).toBe('stopped');
    },
  );
});

describe('a running pipeline', () => {
  async function start() {
    const { p, log } = await startPipeline(oneToOne({ class: ScriptedDestination }));
    running.push(p);
    return { p, log };
  }

  it('stop() is idempotent: every call returns the same promise', async () => {
    const { p } = await startPipeline({
      ...oneToOne({ class: RecordedDest }),
      sources: { src: { class: Recorded } },
    });
    const first = p.stop();
    expect(p.stop()).toBe(first);
    await first;
    expect(p.stop()).toBe(first);
    expect(p.state).toBe('stopped');
    expect(calls.filter((c) => c.startsWith('deinit'))).toEqual([
      'deinit destination.out',
      'deinit source.src',
    ]);
  });

  it('component(name) returns the running instance of a source or destination', async () => {
    const { p } = await start();
    expect(p.component('src')).toBeInstanceOf(ManualSource);
    expect(p.component('out')).toBeInstanceOf(ScriptedDestination);
    expect(p.component('out')!.persistName).toBe('destination.out');
    expect(p.component('nope')).toBeUndefined();
    expect(new Pipeline(oneToOne({ class: ScriptedDestination })).component('src')).toBeUndefined();
  });

  it('stats() has the counters of every component', async () => {
    const { p } = await start();
    comp(p, 'src', ManualSource).post(...texts(3));
    await until(() => expect(statsOf(p, 'out').delivered).toBe(3));
    expect(p.stats()).toEqual([
      expect.objectContaining({
        kind: 'source',
        name: 'src',
        persistName: 'source.src',
        received: 3,
        posted: 3,
      }),
      expect.objectContaining({
        kind: 'destination',
        name: 'out',
        persistName: 'destination.out',
        received: 3,
      }),
    ]);
    expect(statsOf(p, 'out').bytes).toBeGreaterThan(0);
    expect(statsOf(p, 'out')).toMatchObject({ queued: 0, dropped: {}, errors: 0, suspended: 0 });
  });

  it('start() twice is a LifecycleError', async () => {
    const { p } = await start();
    await expect(p.start()).rejects.toBeInstanceOf(LifecycleError);
  });
});
