import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LogDestination,
  Pipeline,
  defineConfig,
  type InternalLogRecord,
  type LogMessage,
} from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import { HttpPoller } from './http-poller.js';
import type { HttpPollerOptions } from './http-poller-options.js';
import { logged } from './internal/test-fetcher.js';
import { item, startTestApi, type TestApi } from './internal/test-api.js';

let api: TestApi;
let stateDir: string;
const running: Pipeline[] = [];

beforeEach(async () => {
  api = await startTestApi({ total: 25, pageSize: 10 });
  stateDir = await mkdtemp(join(tmpdir(), 'logpath-poller-'));
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  await api.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Runs HttpPoller → CaptureDestination in a real pipeline with a temp state dir. */
async function runPoller(options: HttpPollerOptions) {
  const logs: InternalLogRecord[] = [];
  const p = new Pipeline(
    defineConfig({
      sources: { poller: { class: HttpPoller, options, persistName: 'poller' } },
      destinations: { capture: { class: CaptureDestination } },
      logPaths: [{ sources: ['poller'], destinations: ['capture'] }],
      stateDir,
      log: { stderr: false, level: 'debug' },
    }),
    { logSink: (r) => logs.push(r) },
  );
  await p.start();
  running.push(p);
  const capture = p.component('capture') as CaptureDestination;
  return {
    p,
    logs,
    capture,
    poller: p.component('poller') as HttpPoller,
    texts: () => capture.messages.map((m) => m.getAsString('MESSAGE')),
  };
}

const json = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, k) => JSON.stringify(item(from + k)));

const cursorOptions = (extra: Partial<HttpPollerOptions> = {}): HttpPollerOptions => ({
  url: `${api.url}/events`,
  items: 'data',
  interval: 20,
  timeReopen: 20,
  cursor: { param: 'after', path: 'next' },
  ...extra,
});

async function savedCursor(): Promise<unknown> {
  const text = await readFile(join(stateDir, 'persist', 'poller.json'), 'utf8');
  const entries = (JSON.parse(text) as { entries: [string, unknown][] }).entries;
  return entries.find(([k]) => k === 'cursor')?.[1];
}

describe('HttpPoller against a local API', () => {
  it('pages through a cursor API, then polls with If-None-Match and takes 304 as NO_DATA', async () => {
    const { capture, texts, p } = await runPoller(cursorOptions());
    await capture.waitFor(25);
    await vi.waitFor(() => expect(api.requests.some((r) => r.answer === 304)).toBe(true));
    expect(texts()).toEqual(json(0, 25));
    expect(api.requests.slice(0, 5).map((r) => r.after)).toEqual([null, '10', '20', '25', '25']);
    const conditional = api.requests.find((r) => r.answer === 304)!;
    expect(conditional.headers['if-none-match']).toBe('"25-25"');

    api.total = 32; // new events appear
    await capture.waitFor(32);
    expect(texts()).toEqual(json(0, 32));
    await p.stop();
    expect(await savedCursor()).toBe('32');
  });

  it('requests the next page while the current one is still being delivered', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const delivered: string[] = [];
    class Held extends LogDestination {
      override async send(m: LogMessage): Promise<3> {
        await released;
        delivered.push(m.getAsString('MESSAGE') ?? '');
        return this.SUCCESS;
      }
    }
    const p = new Pipeline(
      defineConfig({
        sources: {
          poller: {
            class: HttpPoller,
            options: cursorOptions(),
            persistName: 'poller',
            logIwSize: 5,
          },
        },
        destinations: { held: { class: Held } },
        logPaths: [{ sources: ['poller'], destinations: ['held'] }],
        stateDir,
        log: { stderr: false },
      }),
    );
    await p.start();
    running.push(p);
    // Page 1 fills the window of 5 and nothing is delivered, yet page 2 is already asked for.
    await api.until(2);
    expect(api.requests.map((r) => r.after)).toEqual([null, '10']);
    expect(delivered).toEqual([]);
    release();
    await vi.waitFor(() => expect(delivered).toHaveLength(25));
    expect(delivered).toEqual(json(0, 25));
  });

  it('keeps each item as a JSON value in MESSAGE, with transport http-poll', async () => {
    const { capture } = await runPoller(cursorOptions());
    const [first] = await capture.waitFor(1).then(() => capture.messages);
    expect(first!.get('MESSAGE')).toEqual({ id: 0, msg: 'event 0' });
    expect(first!.get('TRANSPORT')).toBe('http-poll');
    expect(first!.format('${MESSAGE}')).toBe('{"id":0,"msg":"event 0"}');
  });

  it('resumes from the saved cursor after a restart, without duplicates', async () => {
    const first = await runPoller(cursorOptions());
    await first.capture.waitFor(25);
    await first.p.stop();
    api.total = 30;
    const seen = api.requests.length;
    const second = await runPoller(cursorOptions());
    await second.capture.waitFor(5);
    await api.until(seen + 2);
    expect(api.requests[seen]!.after).toBe('25');
    expect(second.texts()).toEqual(json(25, 30));
    expect(second.logs.some((l) => /resuming from saved cursor "25"/.test(l.message))).toBe(true);
  });

  it('sends cursor.initial when nothing is saved', async () => {
    const { capture } = await runPoller(
      cursorOptions({ cursor: { param: 'after', path: 'next', initial: '20' } }),
    );
    await capture.waitFor(5);
    expect(api.requests[0]!.after).toBe('20');
  });

  it('follows Link: rel="next" until it is absent, then re-polls the last page conditionally', async () => {
    const { capture, texts } = await runPoller({
      url: `${api.url}/link`,
      interval: 20,
      cursor: { param: 'after', link: true },
    });
    await capture.waitFor(25);
    await vi.waitFor(() => expect(api.requests.some((r) => r.answer === 304)).toBe(true));
    expect(api.requests.slice(0, 4).map((r) => [r.after, r.answer])).toEqual([
      [null, 200],
      ['10', 200],
      ['20', 200],
      ['20', 304],
    ]);
    expect(texts()).toEqual(json(0, 25));
  });

  it('reads ndjson lines as JSON values and text lines as strings', async () => {
    api.total = 3;
    const nd = await runPoller({ url: `${api.url}/ndjson`, format: 'ndjson', interval: 20 });
    await nd.capture.waitFor(3);
    expect(nd.capture.messages.map((m) => m.get('MESSAGE'))).toEqual([item(0), item(1), item(2)]);
    await nd.p.stop();
    const text = await runPoller({ url: `${api.url}/text`, format: 'text', interval: 20 });
    await text.capture.waitFor(3);
    expect(text.texts()).toEqual(['event 0', 'event 1', 'event 2']);
    await vi.waitFor(() =>
      expect(
        api.requests.filter((r) => r.path === '/text' && r.answer === 304).length,
      ).toBeGreaterThan(0),
    );
    expect(text.capture.messages).toHaveLength(3);
  });

  it('honours 429 Retry-After before asking again', async () => {
    api.faults.push({ kind: 'status', status: 429, retryAfter: '1' });
    const { capture, texts, logs } = await runPoller(cursorOptions());
    await capture.waitFor(25);
    const [throttled, next] = api.requests;
    expect(throttled!.answer).toBe(429);
    expect(next!.at - throttled!.at).toBeGreaterThanOrEqual(990);
    expect(texts()).toEqual(json(0, 25));
    expect(logged(logs, 'warn', /HTTP 429: waiting 1000 ms/)).toBe(true);
  });

  it('waits the interval after a 429 without Retry-After', async () => {
    api.faults.push({ kind: 'status', status: 429 });
    const { capture, logs } = await runPoller(cursorOptions({ interval: 200 }));
    await capture.waitFor(25);
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(195);
    expect(logs.some((l) => /429 without a usable Retry-After/.test(l.message))).toBe(true);
  });

  it('takes a 500 as ERROR: logs status and body, reopens after timeReopen, loses nothing', async () => {
    api.onRequest = () => {
      if (api.requests.length === 2) api.faults.push({ kind: 'status', status: 503 }); // the second request fails
    };
    const { capture, texts, logs } = await runPoller(cursorOptions({ timeReopen: 150 }));
    await capture.waitFor(25);
    const failed = api.requests.findIndex((r) => r.answer === 503);
    expect(failed).toBe(1);
    expect(api.requests[failed + 1]!.after).toBe('10'); // the same page again
    expect(api.requests[failed + 1]!.at - api.requests[failed]!.at).toBeGreaterThanOrEqual(145);
    expect(texts()).toEqual(json(0, 25));
    expect(logged(logs, 'error', /HTTP 503 from GET .*after=10: "fault 503"/)).toBe(true);
    expect(
      logs.some((l) => /returned ERROR; close\(\), then open\(\) in 150 ms/.test(l.message)),
    ).toBe(true);
  });

  it('takes dropped connections as NOT_CONNECTED and resumes with the same page', async () => {
    api.faults.push({ kind: 'drop' }, { kind: 'drop-mid-body' });
    const { capture, texts, logs } = await runPoller(cursorOptions());
    await capture.waitFor(25);
    expect(api.requests.slice(0, 3).map((r) => [r.after, r.answer])).toEqual([
      [null, 'drop'],
      [null, 'drop-mid-body'],
      [null, 200],
    ]);
    expect(texts()).toEqual(json(0, 25));
    expect(logs.filter((l) => /returned NOT_CONNECTED/.test(l.message))).toHaveLength(2);
  });

  it('takes a refused connection as NOT_CONNECTED', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { logs } = await runPoller({ url: `http://127.0.0.1:${port}/x`, timeReopen: 10 });
    await vi.waitFor(() =>
      expect(
        logs.filter((l) => /returned NOT_CONNECTED/.test(l.message)).length,
      ).toBeGreaterThanOrEqual(2),
    );
    expect(logged(logs, 'warn', /ECONNREFUSED/)).toBe(true);
  });

  it('takes a timeout as ERROR and recovers', async () => {
    api.faults.push({ kind: 'hang' });
    const { capture, texts, logs } = await runPoller(cursorOptions({ timeout: 100 }));
    await capture.waitFor(25);
    expect(logged(logs, 'error', /timed out after 100 ms/)).toBe(true);
    expect(texts()).toEqual(json(0, 25));
  });

  it('takes a body that does not fit the format as ERROR, saying what it found', async () => {
    const { logs } = await runPoller({ url: `${api.url}/events`, items: 'next', timeReopen: 10 });
    await vi.waitFor(() =>
      expect(logged(logs, 'error', /items at "next" is "10", not an array/)).toBe(true),
    );
  });

  it('sends method, body, headers and bearer or basic credentials', async () => {
    const a = await runPoller({
      url: `${api.url}/events`,
      method: 'post',
      body: '{"q":1}',
      headers: { 'X-Api-Key': 'k1' },
      auth: { bearer: 't0k' },
      items: 'data',
    });
    await a.capture.waitFor(10);
    const r = api.requests[0]!;
    expect([
      r.method,
      r.body,
      r.headers['x-api-key'],
      r.headers.authorization,
      r.headers.accept,
    ]).toEqual(['POST', '{"q":1}', 'k1', 'Bearer t0k', 'application/json']);
    await a.p.stop();
    const b = await runPoller({
      url: `${api.url}/events`,
      items: 'data',
      auth: { username: 'u', password: 'p' },
    });
    await b.capture.waitFor(10);
    expect(api.requests.at(-1)!.headers.authorization).toBe('Basic dTpw');
  });

  it('ends promptly while a request hangs', async () => {
    api.faults.push({ kind: 'hang' });
    const { p } = await runPoller(cursorOptions({ timeout: 60_000 }));
    await api.until(1);
    const t0 = performance.now();
    await p.stop();
    expect(performance.now() - t0).toBeLessThan(5000); // not the 10 s stopTimeout
  });

  it('rejects invalid options, naming each one with the value given', async () => {
    const bad = {
      url: 'ftp://example.com',
      format: 'xml',
      interval: -1,
      cursor: { param: '', path: 'a', link: true },
      bogus: 1,
      fetchNoDataDelay: 5,
    } as unknown as HttpPollerOptions;
    const err = await runPoller(bad).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const text = (err as Error).message;
    expect(text).toMatch(/url must be an http: or https: URL, got "ftp:\/\/example.com"/);
    expect(text).toMatch(/format must be one of "json", "ndjson", "text", got "xml"/);
    expect(text).toMatch(/interval must be a number of milliseconds .* got -1/);
    expect(text).toMatch(/cursor.param must be a non-empty string, got ""/);
    expect(text).toMatch(/cursor needs exactly one of "path" .* or "link: true"/);
    expect(text).toMatch(/unknown option "bogus"/);
    expect(text).toMatch(/fetchNoDataDelay: HttpPoller calls it "interval"/);
  });
});
