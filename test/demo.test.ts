/**
 * The demo of `npm start`, run as users run it (`logpath run
 * demo/logpath.config.ts`, from the sources) but on free ports and a temp
 * output folder: it must print where to send data, take the banner's curl
 * request, a WebSocket message and the poller's events, serve /metrics, and
 * exit 0 on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/core/src/cli/main.ts');
const CONFIG = join(ROOT, 'demo/logpath.config.ts');

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts the demo; `untilStdout` resolves once stdout matches. */
function startDemo(out: string) {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@logpath/source', CLI, 'run', CONFIG],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LOGPATH_DEMO_PORT: '0',
        LOGPATH_DEMO_API_PORT: '0',
        LOGPATH_DEMO_METRICS_PORT: '0',
        LOGPATH_DEMO_OUT: out,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const untilStdout = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = stdout.match(pattern);
        if (m === null) return;
        proc.stdout!.off('data', check);
        resolve(m);
      };
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        check();
      });
      void exited.then(({ code }) =>
        reject(new Error(`the demo exited (${code}) before printing ${pattern}:\n${stderr}`)),
      );
    });
  return { proc, exited, untilStdout, stderr: () => stderr };
}

/** Messages of the NDJSON output written so far. */
async function output(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the demo pipeline (npm start)', () => {
  it('prints where to send data, takes HTTP, WebSocket and polled data, serves metrics, exits 0 on SIGINT', async () => {
    dir = await mkdtemp(join(tmpdir(), 'logpath-demo-'));
    const demo = startDemo(dir);
    const banner = await demo.untilStdout(/Ctrl-C stops the demo\./);
    const text = banner.input!;
    const [, httpUrl, body] = text.match(
      /curl -sS -X POST (\S+) -H 'content-type: application\/json' -d '(.+)'/,
    )!;
    const wsUrl = text.match(/WebSocket\s+(ws:\/\/\S+)/)![1]!;
    const metricsUrl = text.match(/metrics\s+(http:\/\/\S+\/metrics)/)![1]!;
    const outFile = text.match(/output\s+(\S+)/)![1]!;
    expect(outFile).toBe(join(dir, 'demo.ndjson'));
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ingest$/);

    // What the printed curl line does.
    const res = await fetch(httpUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body!,
    });
    expect(res.status).toBe(202);

    // One WebSocket message; the ack comes once it is delivered.
    const ws = new WebSocket(wsUrl);
    const ack = new Promise<string>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString()));
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ id: 7, message: 'hello from ws' }));
    expect(JSON.parse(await ack)).toEqual({ ack: 7 });
    ws.close();

    // The poller's first page: the demo API starts with three events.
    await vi.waitFor(
      async () => {
        const msgs = await output(outFile);
        expect(msgs.filter((m) => typeof m.MESSAGE === 'object').length).toBeGreaterThanOrEqual(3);
        expect(msgs).toContainEqual(
          expect.objectContaining({ MESSAGE: 'hello from curl', user: 'alice', TRANSPORT: 'http' }),
        );
        expect(msgs).toContainEqual(
          expect.objectContaining({ MESSAGE: 'hello from ws', TRANSPORT: 'ws' }),
        );
      },
      { timeout: 20_000, interval: 100 },
    );
    const polled = (await output(outFile)).find((m) => typeof m.MESSAGE === 'object')!;
    expect(polled).toMatchObject({
      MESSAGE: { type: 'order.created', user: 'alice' },
      TRANSPORT: 'poll',
    });

    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(
      /logpath_messages_posted_total\{component="source\.http",kind="source"\} 1\n/,
    );
    expect(metrics).toMatch(
      /logpath_messages_posted_total\{component="source\.ws",kind="source"\} 1\n/,
    );
    const poller = metrics.match(
      /logpath_messages_posted_total\{component="HttpPoller\.[^"]+",kind="source"\} (\d+)/,
    );
    expect(Number(poller?.[1])).toBeGreaterThanOrEqual(3);

    demo.proc.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(demo.stderr()).toMatch(/received SIGINT: stopping/);
    expect(demo.stderr()).not.toMatch(/kept Node running/);
  }, 60_000);
});
