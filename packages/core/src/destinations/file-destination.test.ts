import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineConfig } from '../config.js';
import type { DestinationDriverOptions } from '../driver-options.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { DestinationResult } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
import type { InternalLogRecord, Logger } from '../logger.js';
import { Pipeline } from '../pipeline.js';
import type { ComponentStats } from '../stats.js';
import {
  DEFAULT_FILE_DESTINATION_OPTIONS,
  FileDestination,
  type FileDestinationOptions,
} from './file-destination.js';

/** 2026-11-25T15:00:00.123Z written at -05:00, so ISODATE is fixed. */
const STAMP = Date.UTC(2026, 10, 25, 15, 0, 0, 123);
/** vi.waitFor gives up after 1 s by default: too short on a loaded machine. */
const WAIT = { timeout: 10_000, interval: 5 };

function message(text: string, fields: Record<string, string> = {}): LogMessage {
  const msg = new LogMessage(text).setTimestamp(STAMP, -300);
  for (const [k, v] of Object.entries(fields)) msg.set(k, v);
  return msg;
}

/** Posts the given messages (honouring the window), then returns. */
class ListSource extends LogSource<{ messages: LogMessage[] }> {
  #messages: LogMessage[] = [];
  override init(o: { messages: LogMessage[] }): void {
    this.#messages = o.messages;
  }
  override async run(): Promise<void> {
    for (const m of this.#messages) if (!this.postMessage(m)) await this.waitForWindow();
  }
}

interface Run {
  pipeline: Pipeline;
  logs: InternalLogRecord[];
  out: () => ComponentStats;
}

function startPipeline(
  options: FileDestinationOptions,
  messages: LogMessage[],
  driver: DestinationDriverOptions = {},
): Run {
  const logs: InternalLogRecord[] = [];
  const pipeline = new Pipeline(
    defineConfig({
      sources: { input: { class: ListSource, options: { messages } } },
      destinations: { out: { class: FileDestination, options, ...driver } },
      logPaths: [{ sources: ['input'], destinations: ['out'] }],
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  return { pipeline, logs, out: () => pipeline.stats().find((s) => s.name === 'out')! };
}

/** Runs the messages through a FileDestination until each is delivered or dropped, then stops. */
async function runFile(
  options: FileDestinationOptions,
  messages: LogMessage[],
  driver: DestinationDriverOptions = {},
): Promise<{ stats: ComponentStats; logs: InternalLogRecord[] }> {
  const run = startPipeline(options, messages, driver);
  await run.pipeline.start();
  await vi.waitFor(() => {
    const s = run.out();
    const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
    expect(s.delivered + dropped).toBe(messages.length);
  }, WAIT);
  await run.pipeline.stop();
  return { stats: run.out(), logs: run.logs };
}

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

/** Every file below `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (m: string): void => void lines.push(m);
  return { lines, error: add, warn: add, info: add, debug: add };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logpath-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileDestination content', () => {
  it('writes NDJSON that is JSON.stringify(msg.toJSON()) per line (NEL/LS/PS escaped) and round-trips types', async () => {
    const msgs = [
      message('plain'),
      message('typed')
        .set('n', 42.5)
        .set('ok', true)
        .set('none', null)
        .set('big', 12345678901234567890n),
      message('nested')
        .set('obj', { a: [1, 'two', { b: null }] })
        .set('when', new Date(STAMP)),
      message('bytes').set('raw', new Uint8Array([0, 255, 10])),
      message('index key first').set('0', 'zero').set('__proto__', 'p'),
      message('line\nbreak\r\nand "quotes" \\ ü 😀 \u2028').set('ISODATE', 'mine').setPri(191),
      message('same instant, other offset').setTimestamp(STAMP, 60),
      message('lone \ud800 surrogate, \u0001 control, \u007f del').set('k"e\\y', 'v'),
    ];
    const path = join(dir, 'out.ndjson');
    await runFile({ path }, msgs);
    const got = await lines(path);
    expect(got).toEqual(msgs.map((m) => JSON.stringify(m.toJSON()).replace(/\u2028/g, '\\u2028')));
    const parsed = got.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toEqual({
      MESSAGE: 'plain',
      ISODATE: '2026-11-25T10:00:00.123-05:00',
      PRI: 13,
    });
    expect(parsed[1]).toMatchObject({ n: 42.5, ok: true, none: null, big: '12345678901234567890' });
    expect(parsed[2]).toMatchObject({
      obj: { a: [1, 'two', { b: null }] },
      when: '2026-11-25T15:00:00.123Z',
    });
    expect(parsed[3]!.raw).toBe(Buffer.from([0, 255, 10]).toString('base64'));
    expect(Object.keys(parsed[4]!)).toEqual(['0', 'MESSAGE', '__proto__', 'ISODATE', 'PRI']);
    expect(parsed[6]!.ISODATE).toBe('2026-11-25T16:00:00.123+01:00');
    expect(parsed[5]).toEqual({
      MESSAGE: 'line\nbreak\r\nand "quotes" \\ ü 😀 \u2028',
      ISODATE: 'mine',
      PRI: 191,
    });
  });

  it('writes lines far larger than a batch buffer, in any script', async () => {
    const path = join(dir, 'big.log');
    const msgs = [message('ü'.repeat(300_000)), message('😀'.repeat(200_000)), message('small')];
    await runFile({ path, template: '$MESSAGE' }, msgs, { batchLines: 2 });
    expect(await lines(path)).toEqual(msgs.map((m) => m.getAsString('MESSAGE')));
  });

  it('writes template lines and escapes CR and LF so each message is one line', async () => {
    const path = join(dir, 'out.log');
    const msgs = [
      message('hello', { HOST: 'web1' }),
      message('two\nlines\r\nhere', { HOST: 'web2' }),
      message('forged\n2026-01-01 web9 evil', { HOST: 'web3' }),
    ];
    await runFile({ path, template: '${HOST} ${MESSAGE}' }, msgs);
    expect(await lines(path)).toEqual([
      'web1 hello',
      'web2 two\\nlines\\r\\nhere',
      'web3 forged\\n2026-01-01 web9 evil',
    ]);
  });

  it('creates missing parent directories with a mode derived from the file mode', async () => {
    const path = join(dir, 'a', 'b', 'c', 'out.log');
    await runFile({ path, template: '$MESSAGE' }, [message('x')]);
    expect(await lines(path)).toEqual(['x']);
    const umask = process.umask();
    expect((await stat(path)).mode & 0o777).toBe(0o640 & ~umask);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o750 & ~umask);
  });

  it('does not create directories with mkdir: false, and open() says why', async () => {
    const d = new FileDestination();
    d.logger = recordingLogger();
    d.init({ path: join(dir, 'missing', 'out.log'), mkdir: false });
    expect(await d.open()).toBe(false);
    expect((d.logger as ReturnType<typeof recordingLogger>).lines[0]).toMatch(
      /cannot open .*missing.*ENOENT/,
    );
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('produces the same content whatever the batch size', async () => {
    const msgs = (): LogMessage[] =>
      Array.from({ length: 1200 }, (_, i) => message(`m${i}`, { HOST: `h${i % 7}` }));
    const one = join(dir, 'one.ndjson');
    const big = join(dir, 'big.ndjson');
    const timed = join(dir, 'timed.ndjson');
    await runFile({ path: one }, msgs(), { batchLines: 1 });
    await runFile({ path: big }, msgs(), { batchLines: 1000 });
    await runFile({ path: timed }, msgs(), { batchLines: 300, batchTimeout: 5 });
    const expected = await readFile(one, 'utf8');
    expect(expected.split('\n')).toHaveLength(1201);
    expect(await readFile(big, 'utf8')).toBe(expected);
    expect(await readFile(timed, 'utf8')).toBe(expected);
  });

  it('fsyncs each file after a flush when fsync is set', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync(): Promise<void> }, 'sync');
    await probe.close();
    try {
      const path = join(dir, 'out.log');
      await runFile({ path, fsync: true, template: '$MESSAGE' }, [message('a'), message('b')], {
        batchLines: 1,
      });
      expect(await lines(path)).toEqual(['a', 'b']);
      expect(sync).toHaveBeenCalledTimes(2);
    } finally {
      sync.mockRestore();
    }
  });

  it('flushes everything at stop(), even with a long batchTimeout', async () => {
    const path = join(dir, 'out.log');
    const msgs = Array.from({ length: 10 }, (_, i) => message(`m${i}`));
    const run = startPipeline({ path, template: '$MESSAGE' }, msgs, {
      batchLines: 1000,
      batchTimeout: 60_000,
    });
    await run.pipeline.start();
    await vi.waitFor(() => expect(run.out().received).toBe(10), WAIT);
    expect(run.out().delivered).toBe(0);
    await run.pipeline.stop();
    expect(run.out().delivered).toBe(10);
    expect(await lines(path)).toEqual(msgs.map((m) => m.getAsString('MESSAGE')));
  });
});

describe('FileDestination path templates', () => {
  it('writes each message to the file its macros name', async () => {
    const path = join(dir, 'logs', '${HOST}', '${PROGRAM}.log');
    const msgs = [
      message('1', { HOST: 'web1', PROGRAM: 'nginx' }),
      message('2', { HOST: 'web2', PROGRAM: 'nginx' }),
      message('3', { HOST: 'web1', PROGRAM: 'app' }),
      message('4', { HOST: 'web1', PROGRAM: 'nginx' }),
    ];
    await runFile({ path, template: '$MESSAGE' }, msgs);
    expect(await filesUnder(dir)).toEqual([
      'logs/web1/app.log',
      'logs/web1/nginx.log',
      'logs/web2/nginx.log',
    ]);
    expect(await lines(join(dir, 'logs/web1/nginx.log'))).toEqual(['1', '4']);
  });

  it('keeps hostile macro values inside the base directory', async () => {
    const path = join(dir, 'logs', '${HOST}', 'app.log');
    const hostile = [
      '../../etc',
      '/abs',
      'a/../../b',
      '..',
      '.',
      '..\\..\\win',
      'nul\0byte',
      '../',
    ];
    await runFile(
      { path, template: '$HOST' },
      hostile.map((h) => message('x', { HOST: h })),
    );
    const files = await filesUnder(dir);
    expect(files.every((f) => f.startsWith('logs/') && f.endsWith('/app.log'))).toBe(true);
    expect(files).toEqual(
      [
        'logs/______etc/app.log',
        'logs/_abs/app.log',
        'logs/a_______b/app.log',
        'logs/__/app.log',
        'logs/_/app.log',
        'logs/______win/app.log',
        'logs/nul_byte/app.log',
        'logs/___/app.log',
      ].sort(),
    );
    expect(await lines(join(dir, 'logs/______etc/app.log'))).toEqual(['../../etc']);
  });

  it('drops a message whose path climbs out through the literal part, and logs it', async () => {
    // A clean value, but the template's own '..' segments climb two levels from it.
    const path = join(dir, 'logs', 'sub') + '/${A}/../../../x-${B}.log'; // join would fold the '..'
    const msgs = [message('escape', { A: 'a', B: 'b' })];
    const { stats, logs } = await runFile({ path, template: '$MESSAGE' }, msgs, { batchLines: 1 });
    expect(stats.dropped['destination-drop']).toBe(1);
    expect(stats.delivered).toBe(0);
    expect(await filesUnder(dir)).toEqual([]);
    expect(logs.some((l) => l.level === 'error' && /not inside .*logs\/sub/.test(l.message))).toBe(
      true,
    );
  });

  it('gives an empty value its own "_" segment, so no file becomes another file\'s directory', async () => {
    // Regression: A "" wrote logs/x while A "x", B "y" needed logs/x/ as a directory: EISDIR, batch dropped.
    // With '..' between two empty values the segment would climb a level; it becomes '__' instead.
    const path = join(dir, 'logs', '${A}', '${B}');
    const msgs = [
      message('nested', { A: 'x', B: 'y' }),
      message('empty A', { A: '', B: 'x' }),
      message('empty B', { A: 'x', B: '' }),
    ];
    const { stats } = await runFile({ path, template: '$MESSAGE' }, msgs, { batchLines: 10 });
    expect(stats.dropped).toEqual({});
    expect(await filesUnder(dir)).toEqual(['logs/_/x', 'logs/x/_', 'logs/x/y']);
    expect(await lines(join(dir, 'logs', '_', 'x'))).toEqual(['empty A']);
    const dots = join(dir, 'dots', '${A}..${B}', 'x.log');
    await runFile({ path: dots, template: '$MESSAGE' }, [message('dots', { A: '', B: '' })]);
    expect(await lines(join(dir, 'dots', '__', 'x.log'))).toEqual(['dots']);
  });

  it('returns DROP for an unwritable path that starts a batch, and skips one later in a batch', async () => {
    const d = new FileDestination();
    d.logger = recordingLogger();
    d.init({ path: join(dir, 'logs', '${A}'), template: '$MESSAGE' });
    expect(await d.open()).toBe(true);
    // A name longer than NAME_MAX cannot exist.
    const long = 'x'.repeat(300);
    expect(d.send(message('too long', { A: long }))).toBe(DestinationResult.DROP);
    expect(d.send(message('kept', { A: 'f' }))).toBe(DestinationResult.QUEUED);
    // DROP here would drop 'kept' too: the runtime drops whole batches.
    expect(d.send(message('too long again', { A: long }))).toBe(DestinationResult.QUEUED);
    expect(d.unsafePathDrops).toBe(2);
    expect(await d.flush()).toBe(DestinationResult.SUCCESS);
    await d.close();
    expect(await filesUnder(dir)).toEqual(['logs/f']);
    expect(await lines(join(dir, 'logs', 'f'))).toEqual(['kept']);
  });

  it('writes every file when there are more files than maxOpenFiles', async () => {
    const path = join(dir, '${HOST}.log');
    const msgs = Array.from({ length: 60 }, (_, i) => message(`m${i}`, { HOST: `h${i % 6}` }));
    await runFile({ path, template: '$MESSAGE', maxOpenFiles: 2 }, msgs, { batchLines: 7 });
    expect(await filesUnder(dir)).toHaveLength(6);
    expect(await lines(join(dir, 'h5.log'))).toEqual(
      msgs.filter((_, i) => i % 6 === 5).map((m) => m.getAsString('MESSAGE')),
    );
  });
});

describe('FileDestination write errors', () => {
  it('returns ERROR on a full disk, with a clear log line, and reports isOpened() false', async () => {
    const d = new FileDestination();
    const log = recordingLogger();
    d.logger = log;
    d.init({ path: '/dev/full' });
    expect(await d.open()).toBe(true);
    expect(d.send(message('x'))).toBe(DestinationResult.QUEUED);
    expect(await d.flush()).toBe(DestinationResult.ERROR);
    expect(d.isOpened()).toBe(false);
    expect(log.lines.some((l) => /writing 1 message to \/dev\/full failed: ENOSPC/.test(l))).toBe(
      true,
    );
    expect(await d.flush()).toBe(DestinationResult.SUCCESS); // the failed batch was discarded
    expect(await d.open()).toBe(true);
    expect(d.isOpened()).toBe(true);
    await d.close();
  });

  it('drops after `retries` failed flushes on a full disk, without crashing the pipeline', async () => {
    const { stats, logs } = await runFile({ path: '/dev/full' }, [message('a'), message('b')], {
      retries: 2,
      timeReopen: 5,
    });
    expect(stats.dropped['retries-exhausted']).toBe(2);
    expect(stats.delivered).toBe(0);
    expect(
      logs.some((l) => l.level === 'error' && /\/dev\/full failed: ENOSPC/.test(l.message)),
    ).toBe(true);
  });

  it('takes back what a failed flush appended to other files, so the resend duplicates nothing', async () => {
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out', 'web'), 'a regular file where a directory should be');
    const d = new FileDestination();
    const log = recordingLogger();
    d.logger = log;
    d.init({ path: join(dir, 'out', '${PROGRAM}', 'app.log'), template: '$MESSAGE' });
    expect(await d.open()).toBe(true);
    d.send(message('api 1', { PROGRAM: 'api' }));
    d.send(message('web 1', { PROGRAM: 'web' }));
    expect(await d.flush()).toBe(DestinationResult.ERROR);
    expect((await stat(join(dir, 'out', 'api', 'app.log'))).size).toBe(0);
    expect(log.lines.some((l) => /removed the 6 bytes/.test(l))).toBe(true);
    expect(
      log.lines.some((l) => /writing 2 messages to .*out\/web\/app.log failed: ENOTDIR/.test(l)),
    ).toBe(true);
    await d.close();
  });

  it('recovers in a real pipeline once the directory is fixed, with every line written exactly once', async () => {
    await mkdir(join(dir, 'out'));
    const blocker = join(dir, 'out', 'web');
    await writeFile(blocker, 'not a directory');
    const n = 500;
    const msgs = Array.from({ length: n }, (_, i) =>
      message(`m${i}`, { PROGRAM: i % 2 ? 'web' : 'api' }),
    );
    const run = startPipeline(
      { path: join(dir, 'out', '${PROGRAM}', 'app.log'), template: '$MESSAGE' },
      msgs,
      {
        batchLines: 50,
        timeReopen: 10,
        retries: 1_000_000,
      },
    );
    await run.pipeline.start();
    await vi.waitFor(() => expect(run.out().retried).toBeGreaterThanOrEqual(2), WAIT);
    expect(run.out().delivered).toBe(0);
    expect(
      run.logs.some(
        (l) => l.level === 'error' && /out\/web\/app.log failed: ENOTDIR/.test(l.message),
      ),
    ).toBe(true);
    await rm(blocker);
    await vi.waitFor(() => expect(run.out().delivered).toBe(n), WAIT);
    await run.pipeline.stop();
    const api = await lines(join(dir, 'out', 'api', 'app.log'));
    const web = await lines(join(dir, 'out', 'web', 'app.log'));
    expect(api).toEqual(msgs.filter((_, i) => i % 2 === 0).map((m) => m.getAsString('MESSAGE')));
    expect(web).toEqual(msgs.filter((_, i) => i % 2 === 1).map((m) => m.getAsString('MESSAGE')));
    expect(run.out().dropped).toEqual({});
  });

  it('keeps reopening a static path whose parent is a file, then writes everything once it is fixed', async () => {
    const blocker = join(dir, 'logs');
    await writeFile(blocker, 'not a directory');
    const msgs = Array.from({ length: 100 }, (_, i) => message(`m${i}`));
    const path = join(blocker, 'app.log');
    const run = startPipeline({ path, template: '$MESSAGE' }, msgs, {
      batchLines: 10,
      timeReopen: 10,
      retries: 1,
    });
    await run.pipeline.start();
    await vi.waitFor(() => expect(run.out().errors).toBeGreaterThanOrEqual(2), WAIT);
    const errors = run.logs.filter(
      (l) => l.level === 'error' && /cannot open .*logs\/app.log/.test(l.message),
    );
    expect(errors).toHaveLength(1); // repeats of the same failure go to debug
    await rm(blocker);
    await vi.waitFor(() => expect(run.out().delivered).toBe(100), WAIT);
    await run.pipeline.stop();
    expect(await lines(path)).toEqual(msgs.map((m) => m.getAsString('MESSAGE')));
  });
});

describe('FileDestination options', () => {
  function initError(options: unknown): ConfigError {
    try {
      new FileDestination().init(options as FileDestinationOptions);
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('init() accepted the options');
  }

  it('has frozen defaults', () => {
    expect(Object.isFrozen(DEFAULT_FILE_DESTINATION_OPTIONS)).toBe(true);
    expect(DEFAULT_FILE_DESTINATION_OPTIONS).toEqual({
      template: undefined,
      mkdir: true,
      fsync: false,
      mode: 0o640,
      maxOpenFiles: 64,
    });
  });

  it('rejects bad options with a ConfigError naming each one and its value', () => {
    const err = initError({
      path: '',
      mode: 0o10000,
      maxOpenFiles: 0,
      mkdir: 'yes',
      fsync: 1,
      templte: 'x',
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe(ErrorCode.INVALID_OPTION);
    expect(err.issues).toEqual([
      'options: unknown option "templte" (known: path, template, mkdir, fsync, mode, maxOpenFiles)',
      'options.path must be a non-empty string, got ""',
      'options.mkdir must be true or false, got "yes"',
      'options.fsync must be true or false, got 1',
      'options.mode must be an integer from 0 to 4095, got 4096',
      'options.maxOpenFiles must be an integer ≥ 1, got 0',
    ]);
    expect(initError(undefined).message).toMatch(/options must be an object with at least "path"/);
    expect(initError({}).message).toBe('options.path must be a non-empty string, got undefined');
  });

  it('rejects malformed templates in path and template', () => {
    expect(initError({ path: '/tmp/${HOST' }).message).toMatch(
      /options.path is not a valid path template: .*Unterminated/,
    );
    expect(initError({ path: '/tmp/x', template: 'a ${' }).message).toMatch(
      /options.template is not a valid template/,
    );
  });
});
