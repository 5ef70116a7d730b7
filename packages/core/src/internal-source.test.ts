import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineConfig } from './config.js';
import { ErrorCode, LifecycleError } from './errors.js';
import { InternalSource } from './internal-source.js';
import { LogDestination } from './log-destination.js';
import type { LogMessage } from './log-message.js';
import { Pipeline } from './pipeline.js';
import { LogCapture, ManualSource, turns } from './internal/test-helpers.js';
import { CaptureDestination } from './testing/index.js';

/** Drops every message (and counts the calls). */
class Dropper extends LogDestination {
  readonly sent: LogMessage[] = [];
  override send(msg: LogMessage): 0 {
    this.sent.push(msg);
    return this.DROP;
  }
}

/** Throws from every send(). */
class Thrower extends LogDestination {
  calls = 0;
  override send(): never {
    this.calls++;
    throw new Error('boom');
  }
}

/** Logs the warnings named in its options from init(), then idles. */
class WarnsAtInit extends ManualSource {
  override init(options: Record<string, unknown>): boolean {
    for (const w of (options.warnings as string[] | undefined) ?? []) this.logger.warn(w);
    return options.fail !== true;
  }
}

let running: Pipeline[] = [];

async function start(config: PipelineConfig): Promise<{ p: Pipeline; log: LogCapture }> {
  const log = new LogCapture();
  const p = new Pipeline(
    { log: { stderr: false }, stopTimeout: 1000, ...config },
    { logSink: log.sink },
  );
  running.push(p);
  await p.start();
  return { p, log };
}

function get<T>(p: Pipeline, name: string, cls: abstract new () => T): T {
  const c = p.component(name);
  if (!(c instanceof cls)) throw new Error(`${name} is not a ${cls.name}`);
  return c;
}

const texts = (c: CaptureDestination): string[] =>
  c.messages.map((m) => m.getAsString('MESSAGE') ?? '');
const byComponent = (c: CaptureDestination, component: string): LogMessage[] =>
  c.messages.filter((m) => m.get('LOGPATH.COMPONENT') === component);

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

describe('InternalSource', () => {
  it("carries a destination's drop line into its log path, as a syslog message", async () => {
    const { p } = await start({
      sources: { app: { class: ManualSource }, internal: { class: InternalSource } },
      destinations: { bad: { class: Dropper }, capture: { class: CaptureDestination } },
      logPaths: [
        { sources: ['app'], destinations: ['bad'] },
        { sources: ['internal'], destinations: ['capture'] },
      ],
    });
    const capture = get(p, 'capture', CaptureDestination);
    get(p, 'app', ManualSource).post('m1');
    await vi.waitFor(() => expect(byComponent(capture, 'destination.bad')).toHaveLength(1));
    const msg = byComponent(capture, 'destination.bad')[0]!;
    expect(msg.get('MESSAGE')).toBe('dropped 1 message: the destination returned DROP');
    expect(msg.get('PROGRAM')).toBe('logpath');
    expect(msg.get('LOGPATH.LEVEL')).toBe('error');
    expect(msg.get('TRANSPORT')).toBe('internal');
    expect(msg.get('PID')).toBe(String(process.pid));
    expect(msg.getPri()).toBe(5 * 8 + 3); // syslog.err
    // The pipeline's own start line took the same path, at info severity.
    const [started] = byComponent(capture, 'pipeline');
    expect(started?.getAsString('MESSAGE')).toMatch(/^started: 2 sources/);
    expect(started?.getPri()).toBe(5 * 8 + 6);
    expect(started?.get('LOGPATH.LEVEL')).toBe('info');
  });

  it("carries a plugin's error with its stack", async () => {
    const { p } = await start({
      sources: { app: { class: ManualSource }, internal: { class: InternalSource } },
      destinations: {
        flaky: { class: Thrower, retries: 1 },
        capture: { class: CaptureDestination },
      },
      logPaths: [
        { sources: ['app'], destinations: ['flaky'] },
        { sources: ['internal'], destinations: ['capture'] },
      ],
    });
    const capture = get(p, 'capture', CaptureDestination);
    get(p, 'app', ManualSource).post('m1');
    await vi.waitFor(() => expect(byComponent(capture, 'destination.flaky')).toHaveLength(2));
    const [threw, dropped] = byComponent(capture, 'destination.flaky');
    const lines = threw!.getAsString('MESSAGE')!.split('\n');
    expect(lines[0]).toBe('send() threw; counted as ERROR');
    expect(lines[1]).toBe('Error: boom');
    expect(lines.slice(2).some((l) => /^\s+at .*internal-source\.test\.ts/.test(l))).toBe(true);
    expect(threw!.get('LOGPATH.LEVEL')).toBe('error');
    expect(dropped!.get('MESSAGE')).toMatch(/^dropped 1 message: ERROR 1 times/);
  });

  it('posts the records logged before it runs, in order', async () => {
    const { p } = await start({
      sources: {
        internal: { class: InternalSource },
        noisy: { class: WarnsAtInit, options: { warnings: ['w1', 'w2'] } },
      },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: ['internal'], destinations: ['capture'] }],
    });
    const capture = get(p, 'capture', CaptureDestination);
    await capture.waitFor(3);
    expect(texts(capture).slice(0, 3)).toEqual(['w1', 'w2', expect.stringMatching(/^started:/)]);
    expect(byComponent(capture, 'source.noisy').map((m) => m.get('LOGPATH.LEVEL'))).toEqual([
      'warn',
      'warn',
    ]);
  });

  it('keeps at most bufferSize records, filters by level and reports what it lost', async () => {
    const { p } = await start({
      sources: {
        internal: { class: InternalSource, options: { level: 'warn', bufferSize: 2 } },
        noisy: { class: WarnsAtInit, options: { warnings: ['w1', 'w2', 'w3', 'w4', 'w5'] } },
      },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: ['internal'], destinations: ['capture'] }],
    });
    const capture = get(p, 'capture', CaptureDestination);
    await capture.waitFor(3);
    await turns(20);
    // The info "started" line is below the level; w3–w5 did not fit.
    expect(texts(capture)).toEqual([
      'w1',
      'w2',
      '3 internal log records were lost: the buffer was full (bufferSize=2)',
    ]);
    expect(get(p, 'internal', InternalSource).overflowed).toBe(3);
  });

  it('rejects a bad level with an error naming it', async () => {
    const err: unknown = await start({
      sources: { internal: { class: InternalSource, options: { level: 'verbose' } } },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: ['internal'], destinations: ['capture'] }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifecycleError);
    expect((err as LifecycleError).code).toBe(ErrorCode.INIT_FAILED);
    expect((err as Error).message).toContain(
      'level must be one of "error", "warn", "info", "debug", got "verbose"',
    );
  });
});

describe('InternalSource never feeds on itself', () => {
  it('does not carry the drop lines of its own dropping path', async () => {
    const { p, log } = await start({
      sources: { app: { class: ManualSource }, internal: { class: InternalSource } },
      destinations: { sink: { class: Dropper } },
      logPaths: [{ sources: ['internal'], destinations: ['sink'] }],
    });
    const sink = get(p, 'sink', Dropper);
    const internal = get(p, 'internal', InternalSource);
    await vi.waitFor(() => expect(sink.sent).toHaveLength(1)); // the "started" line
    get(p, 'app', ManualSource).logger.warn('from the app');
    await vi.waitFor(() => expect(sink.sent).toHaveLength(2));
    await turns(50);
    expect(sink.sent.map((m) => m.getAsString('MESSAGE'))).toEqual([
      expect.stringMatching(/^started:/),
      'from the app',
    ]);
    // Each of them was dropped and logged (stderr would show it), but not carried again.
    expect(log.find('dropped 1 message: the destination returned DROP', 'error')).toHaveLength(2);
    expect(internal.suppressed).toBe(2);
  });

  it('does not carry the errors of a path that throws on its messages', async () => {
    const { p, log } = await start({
      sources: { internal: { class: InternalSource } },
      destinations: { sink: { class: Thrower, retries: 1 } },
      logPaths: [{ sources: ['internal'], destinations: ['sink'] }],
    });
    const sink = get(p, 'sink', Thrower);
    await vi.waitFor(() => expect(log.find('dropped 1 message: ERROR 1 times')).toHaveLength(1));
    await turns(50);
    expect(sink.calls).toBe(1);
    expect(log.find('send() threw')).toHaveLength(1);
    expect(get(p, 'internal', InternalSource).suppressed).toBe(2);
  });

  it('does not loop when its own log path filter throws', async () => {
    let calls = 0;
    const { p, log } = await start({
      sources: { internal: { class: InternalSource } },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [
        {
          sources: ['internal'],
          destinations: ['capture'],
          filter: () => {
            calls++;
            throw new Error('bad filter');
          },
        },
      ],
    });
    await vi.waitFor(() => expect(log.find('filter or rewrite threw')).toHaveLength(1));
    await turns(50);
    expect(calls).toBe(1);
    expect(get(p, 'capture', CaptureDestination).messages).toHaveLength(0);
  });
});

describe('InternalSource across reloads', () => {
  const config = (noisy: Record<string, unknown>): PipelineConfig => ({
    sources: { internal: { class: InternalSource }, noisy: { class: WarnsAtInit, options: noisy } },
    destinations: { capture: { class: CaptureDestination } },
    logPaths: [{ sources: ['internal'], destinations: ['capture'] }],
  });

  it('carries each record once: the new instance takes over at its init', async () => {
    const { p } = await start(config({}));
    const before = get(p, 'capture', CaptureDestination);
    await before.waitFor(1);
    await p.reload({ ...config({ warnings: ['during reload'] }), log: { stderr: false } });
    const after = get(p, 'capture', CaptureDestination);
    expect(after).not.toBe(before);
    get(p, 'noisy', WarnsAtInit).logger.warn('after reload');
    await vi.waitFor(() => expect(texts(after)).toContain('after reload'));
    const all = [...texts(before), ...texts(after)];
    expect(all.filter((t) => t === 'during reload')).toHaveLength(1);
    expect(all.filter((t) => t === 'after reload')).toHaveLength(1);
    expect(texts(after)).toContain('during reload');
  });

  it('hands the records of a failed reload back to the running instance', async () => {
    const { p } = await start(config({}));
    const capture = get(p, 'capture', CaptureDestination);
    await capture.waitFor(1);
    const bad = { ...config({ warnings: ['about to fail'], fail: true }), log: { stderr: false } };
    await expect(p.reload(bad)).rejects.toThrow(/init\(\) returned false/);
    expect(get(p, 'capture', CaptureDestination)).toBe(capture);
    await vi.waitFor(() => expect(texts(capture)).toContain('about to fail'));
    await turns(20);
    expect(texts(capture).filter((t) => t === 'about to fail')).toHaveLength(1);
  });
});
