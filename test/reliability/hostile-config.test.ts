/**
 * Hostile configs for `new Pipeline(config).start()`: anything at all, and
 * near-valid configs with one to three options replaced by wrong types,
 * unknown keys, cycles, NaN, huge, negative or stringly numbers (see
 * config-cases.ts). A bad config must reject with a ConfigError naming every
 * bad option (a component's own options: a LifecycleError ERR_INIT_FAILED
 * whose cause is that ConfigError), a valid one must start and stop; never a
 * TypeError, and nothing may be left running (checked with
 * `process.getActiveResourcesInfo()`).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ErrorCode,
  FileDestination,
  LifecycleError,
  LogDestination,
  LogSource,
  Pipeline,
} from '@logpath/core';
import {
  badValue,
  baseConfig,
  build,
  change,
  cyclic,
  getAt,
  IdleSource,
  type Obj,
  type Sandbox,
} from './config-cases.js';
import { activeResources, fuzzParams, leaksAfterSettling } from './fuzz-support.js';

let box: Sandbox;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'logpath-hostile-config-'));
  let n = 0;
  box = { dir, nextDir: () => join(dir, `disk-${n++}`) };
});

/** Fails the test with whatever was thrown instead of the expected error, stack included. */
function rethrow(err: unknown): never {
  if (err instanceof Error) throw err;
  throw new Error(`a non-error was thrown: ${inspect(err)}`);
}

function named(issues: readonly string[], label: string): boolean {
  return issues.some(
    (i) =>
      i.startsWith(label) &&
      (/[A-Za-z\]]$/.test(label) ? /^[ .:[]/.test(i.slice(label.length)) : true),
  );
}

/** Starts the config and checks the outcome against the expected labels; returns what happened. */
async function startChecked(config: unknown, labels: string[]): Promise<'started' | 'rejected'> {
  const pipelineLabels = labels.filter((l) => !l.startsWith('component:'));
  const componentLabels = labels
    .filter((l) => l.startsWith('component:'))
    .map((l) => l.slice('component:'.length));
  const outClass = getAt(config, ['destinations', 'out', 'class']);
  const checksOptions = outClass === FileDestination;
  const pipeline = new Pipeline(config as never, { logSink: () => {} });
  let error: unknown;
  try {
    await pipeline.start();
  } catch (err) {
    error = err;
  }
  if (error === undefined) {
    await pipeline.stop();
    expect(pipeline.state).toBe('stopped');
    expect({ labels, pipelineLabels }).toEqual({
      labels: checksOptions ? [] : labels,
      pipelineLabels: [],
    });
    return 'started';
  }
  if (pipelineLabels.length > 0) {
    if (!(error instanceof ConfigError)) rethrow(error); // shows the TypeError (or whatever it was) with its stack
    expect([ErrorCode.INVALID_CONFIG, ErrorCode.PERSIST_NAME_COLLISION]).toContain(error.code);
    expect(error.issues.length).toBeGreaterThan(0);
    for (const label of pipelineLabels)
      expect(
        named(error.issues, label),
        `an issue names ${label}: ${error.issues.join(' | ')}`,
      ).toBe(true);
    expect(pipeline.state).toBe('created'); // validated before anything was built
  } else {
    if (!(error instanceof LifecycleError)) rethrow(error);
    expect(error.code).toBe(ErrorCode.INIT_FAILED);
    expect(
      checksOptions && componentLabels.length > 0,
      `unexpected init failure: ${error.message}`,
    ).toBe(true);
    const cause = error.cause;
    if (!(cause instanceof ConfigError)) rethrow(cause);
    expect(cause.code).toBe(ErrorCode.INVALID_OPTION);
    for (const label of componentLabels)
      expect(
        named(cause.issues, label),
        `an issue names ${label}: ${cause.issues.join(' | ')}`,
      ).toBe(true);
    expect(pipeline.state).toBe('stopped');
  }
  return 'rejected';
}

describe('Pipeline.start() with hostile configs', () => {
  it('the base config starts and stops (so every rejection below is caused by the change)', async () => {
    for (const disk of [false, true])
      expect(await startChecked(baseConfig(box, disk), [])).toBe('started');
  });

  it('rejects anything that is not a config with a ConfigError, and leaves nothing running', async () => {
    const before = activeResources();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          badValue,
          fc.anything({ withNullPrototype: true, withBigInt: true, withSparseArray: true }),
        ),
        async (config) => {
          const pipeline = new Pipeline(config as never);
          const error = await pipeline.start().then(
            () => undefined,
            (err: unknown) => err,
          );
          if (!(error instanceof ConfigError)) rethrow(error ?? new Error('started'));
          expect(error.issues.every((i) => typeof i === 'string' && i.length > 0)).toBe(true);
        },
      ),
      fuzzParams(0x5eed0301, 1000),
    );
    expect(await leaksAfterSettling(before)).toEqual([]);
  });

  it('names every bad option of a near-valid config, starts the valid ones, and leaks nothing', async () => {
    const outcomes = { started: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(change, { minLength: 1, maxLength: 3 }),
        async (disk, changes) => {
          const { config, labels } = build(box, disk, changes);
          const before = activeResources();
          outcomes[await startChecked(config, labels)]++;
          expect(await leaksAfterSettling(before)).toEqual([]);
        },
      ),
      fuzzParams(0x5eed0302, 600),
    );
    // Both branches must have been exercised, or the property proves little.
    expect(outcomes.started).toBeGreaterThan(20);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });

  it('reports cycles, holes and non-errors clearly', async () => {
    const cases: [string, (c: Obj) => void, string[]][] = [
      ['a cyclic config', (c) => (c.self = c), ['config:']],
      ['a cyclic null-prototype value', (c) => (c.stopTimeout = cyclic(true)), ['stopTimeout']],
      [
        "a cyclic option object (valid: options are the component's)",
        (c) => (((c.sources as Obj).in as Obj).options = cyclic(false)),
        [],
      ],
      [
        'a sparse logPaths array',
        // eslint-disable-next-line no-sparse-arrays -- the hole is the point
        (c) => (c.logPaths = [, (c.logPaths as unknown[])[0]]),
        ['logPaths[0]'],
      ],
      // Regression (seed 0x5eed0302, path "320:8:8"): a Symbol fallback threw a TypeError.
      [
        'a Symbol as fallback',
        (c) => (((c.destinations as Obj).out as Obj).fallback = Symbol('s')),
        ['destinations.out.fallback'],
      ],
      [
        'a cyclic null-prototype fallback',
        (c) => (((c.destinations as Obj).out as Obj).fallback = cyclic(true)),
        ['destinations.out.fallback'],
      ],
      [
        'a lone surrogate in a persist name with a disk buffer',
        (c) => (((c.destinations as Obj).out as Obj).persistName = 'x\uD800'),
        ['destinations.out.persistName'],
      ],
      [
        'generatePersistName() throwing null',
        (c) =>
          (((c.sources as Obj).in as Obj).class = class extends IdleSource {
            static generatePersistName(): string {
              throw null; // eslint-disable-line @typescript-eslint/only-throw-error
            }
          }),
        ['sources.in:'],
      ],
    ];
    for (const [name, mutate, labels] of cases) {
      const config = baseConfig(box, name.includes('disk buffer'));
      mutate(config);
      const before = activeResources();
      expect(await startChecked(config, labels), name).toBe(
        labels.length === 0 ? 'started' : 'rejected',
      );
      expect(await leaksAfterSettling(before), name).toEqual([]);
    }
  });

  it('calls no destination method after stop() has resolved, even when stop() had nothing to wait for', async () => {
    const calls: string[] = [];
    let stopped = false;
    class Watched extends LogDestination {
      override open(): boolean {
        calls.push(stopped ? 'open after stop' : 'open');
        return true;
      }
      override send(): 3 {
        calls.push(stopped ? 'send after stop' : 'send');
        return this.SUCCESS;
      }
      override close(): void {
        calls.push(stopped ? 'close after stop' : 'close');
      }
    }
    for (const stopTimeout of [2000, 0]) {
      const config = baseConfig(box, false);
      ((config.destinations as Obj).out as Obj).class = Watched;
      // The only message skips the path, so the queue is empty and stop() waits for nothing.
      (config.logPaths as Obj[])[0]!.filter = () => false;
      config.stopTimeout = stopTimeout;
      calls.length = 0;
      stopped = false;
      const pipeline = new Pipeline(config as never);
      await pipeline.start();
      await pipeline.stop();
      stopped = true;
      await new Promise((r) => setTimeout(r, 50));
      expect(
        calls.filter((c) => c.endsWith('after stop')),
        `stopTimeout ${stopTimeout}`,
      ).toEqual([]);
    }
  });

  it('fails init() that throws a non-error with a LifecycleError naming the component', async () => {
    class Throws extends LogSource {
      override init(): void {
        throw undefined; // eslint-disable-line @typescript-eslint/only-throw-error
      }
      override run(): void {}
    }
    const config = baseConfig(box, false);
    ((config.sources as Obj).in as Obj).class = Throws;
    const error = await new Pipeline(config as never).start().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(error instanceof LifecycleError)) rethrow(error);
    expect(error.code).toBe(ErrorCode.INIT_FAILED);
    expect(error.message).toMatch(/source "in".*init\(\) failed/);
  });
});
