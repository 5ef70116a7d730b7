/**
 * Fault: `kill -9` of a `logpath run` process (HttpSource with
 * `respond: 'delivered'` → HttpDestination with a reliable disk buffer) while
 * clients send, then a restart on the same port and state directory. The
 * receiver behind the destination is slow, so the buffer holds a backlog at
 * the kill. A 200 means "in the fsynced buffer": every message that got one
 * must reach the receiver after the restart. Clients keep what was not
 * answered 200 and send it again (so it may arrive twice). The figures go to
 * `results/fault-kill-disk-buffer.json`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeResult } from './results.js';
import { Receiver } from './fault-support.js';
import { mib, postText, settle } from './overload-support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/core/src/cli/main.ts');
const PER_BODY = 50;
const CLIENTS = 4;
const BEFORE_KILL_MS = 3000;
const AFTER_RESTART_MS = 3000;

// .mts: an ES module wherever the temp dir is (as CommonJS it would load a second copy of core).
const CONFIG = `
import { defineConfig } from ${JSON.stringify(join(ROOT, 'packages/core/src/index.ts'))};
import { HttpSource, HttpDestination } from ${JSON.stringify(join(ROOT, 'packages/adapter-http/src/index.ts'))};
const env = process.env;
export default defineConfig({
  sources: {
    http: { class: HttpSource, options: { host: '127.0.0.1', port: Number(env.KILL_PORT), format: 'text', respond: 'delivered', retryAfter: 100 } },
  },
  destinations: {
    out: {
      class: HttpDestination,
      options: { url: env.KILL_RECEIVER!, maxSockets: 1 },
      batchLines: 100,
      timeReopen: 200,
      diskBuffer: { maxBytes: 64 * 1024 * 1024, reliable: true },
    },
  },
  logPaths: [{ sources: ['http'], destinations: ['out'] }],
  stateDir: env.KILL_STATE!,
});
`;

const running = new Set<ChildProcess>();
let dir: string | undefined;
afterEach(async () => {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A port nothing listens on right now (the pipeline must listen on the same one after its restart). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

function launch(env: Record<string, string>): { proc: ChildProcess; stderr: string[] } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@logpath/source', CLI, 'run', join(dir!, 'config.mts')],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const stderr: string[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  return { proc, stderr };
}

/** The peak resident set size (VmHWM) of a live process, in bytes; 0 where /proc has none. */
async function peakRss(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}

async function healthy(url: string): Promise<boolean> {
  const agent = new Agent();
  try {
    const r = await new Promise<number>((resolve) => {
      const req = request(`${url}health`, { agent }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    return r === 200;
  } finally {
    agent.destroy();
  }
}

describe('kill -9 of a logpath run process with a reliable disk buffer', () => {
  it('delivers after the restart every message that got a 200', async () => {
    dir = await mkdtemp(join(tmpdir(), 'logpath-kill-buffer-'));
    await writeFile(join(dir, 'config.mts'), CONFIG);
    const receiver = new Receiver();
    receiver.delayMs = 100; // with one socket: ~1000 msg/s, below what the clients send
    const receiverPort = await receiver.start();
    const port = await freePort();
    const env = {
      KILL_PORT: String(port),
      KILL_RECEIVER: `http://127.0.0.1:${receiverPort}/`,
      KILL_STATE: join(dir, 'state'),
    };
    const url = `http://127.0.0.1:${port}/`;
    let child = launch(env);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    try {
      await vi.waitFor(async () => expect(await healthy(url), child.stderr.join('')).toBe(true), {
        timeout: 60_000,
        interval: 200,
      });

      const acked: number[] = []; // body numbers answered 200
      const statuses: Record<string, number> = {};
      let nextBody = 0;
      let sending = true;
      const client = async (): Promise<void> => {
        let body = -1;
        while (sending || body >= 0) {
          if (body < 0) body = nextBody++;
          const text = Array.from(
            { length: PER_BODY },
            (_, i) => `${body * PER_BODY + i} payload`,
          ).join('\n');
          const status = await postText(agent, url, text);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 200) {
            acked.push(body);
            body = -1;
          } else {
            await sleep(100); // refused, killed, or not up yet: the body is sent again
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);

      await sleep(BEFORE_KILL_MS);
      const ackedAtKill = acked.length * PER_BODY;
      const arrivedAtKill = receiver.tally.distinct;
      let peak = await peakRss(child.proc.pid);
      child.proc.kill('SIGKILL');
      await once(child.proc, 'exit');
      const killedAt = performance.now();
      child = launch(env);
      await vi.waitFor(async () => expect(await healthy(url), child.stderr.join('')).toBe(true), {
        timeout: 60_000,
        interval: 200,
      });
      const downMs = performance.now() - killedAt;
      await sleep(AFTER_RESTART_MS);
      sending = false;
      await Promise.all(clients);

      const seqs = acked.flatMap((b) =>
        Array.from({ length: PER_BODY }, (_, i) => b * PER_BODY + i),
      );
      receiver.delayMs = 0;
      const drainMs = await settle(() => seqs.every((s) => receiver.tally.has(s)), 120_000);
      peak = Math.max(peak, await peakRss(child.proc.pid));
      child.proc.kill('SIGTERM');
      const [code] = (await once(child.proc, 'exit')) as [number | null];

      const lost = seqs.filter((s) => !receiver.tally.has(s));
      const summary = {
        scenario: 'fault-kill-disk-buffer',
        load: `${CLIENTS} HTTP clients send bodies of ${PER_BODY} lines (respond: 'delivered') to a logpath run process whose HttpDestination (reliable disk buffer) feeds a receiver taking ~1000 msg/s`,
        injected: `kill -9 after ${BEFORE_KILL_MS / 1000} s with ${ackedAtKill - arrivedAtKill} acknowledged messages still in the buffer; restart on the same port and state dir (${Math.round(downMs)} ms down)`,
        sent: seqs.length,
        delivered: seqs.length - lost.length,
        duplicated: receiver.tally.duplicated,
        lost: lost.length,
        peakRssMiB: peak > 0 ? mib(peak) : null,
        details: {
          acknowledgedAtKill: ackedAtKill,
          arrivedAtKill,
          clientStatuses: JSON.stringify(statuses),
          arrivedNotAcknowledged: receiver.tally.distinct - (seqs.length - lost.length),
          drainMs: Math.round(drainMs),
          rss: 'VmHWM of the logpath run processes (the larger of the two)',
          exitCodeAfterSigterm: String(code),
          node: process.version,
          date: new Date().toISOString(),
        },
      };
      console.log(`fault-kill-disk-buffer: ${JSON.stringify(summary)}`);
      await writeResult(summary);

      expect(ackedAtKill - arrivedAtKill, 'the buffer held a backlog at the kill').toBeGreaterThan(
        0,
      );
      expect(lost.slice(0, 20), `${lost.length} acknowledged messages lost`).toEqual([]);
      expect(code, child.stderr.join('')).toBe(0);
    } finally {
      agent.destroy();
      await receiver.stop();
    }
  }, 240_000);
});
