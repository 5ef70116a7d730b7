/**
 * Helpers of the end-to-end chain tests: HTTP → Kafka → WebSocket → file,
 * each hop a separate `logpath run` process. Writes the three configs, spawns
 * and restarts hops, reads the port a hop listens on from its log, samples
 * peak RSS, and runs an HTTP client that retries every request until it gets
 * a 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/core/src/cli/main.ts');
const CORE = JSON.stringify(join(ROOT, 'packages/core/src/index.ts'));
const HTTP = JSON.stringify(join(ROOT, 'packages/adapter-http/src/index.ts'));
const KAFKA = JSON.stringify(join(ROOT, 'packages/adapter-kafka/src/index.ts'));
const WS = JSON.stringify(join(ROOT, 'packages/adapter-ws/src/index.ts'));

// .mts: an ES module wherever the temp dir is (as CommonJS it would load a second copy of core).
// Everything a hop must know (brokers, ports, paths) comes from its environment.
const INGEST = `
import { defineConfig } from ${CORE};
import { HttpSource } from ${HTTP};
import { KafkaDestination } from ${KAFKA};
const env = process.env;
export default defineConfig({
  sources: {
    http: {
      class: HttpSource,
      options: { host: '127.0.0.1', port: 0, path: '/ingest', format: 'ndjson', respond: 'delivered' },
      // A window smaller than two requests: overlapping requests meet 429 + Retry-After.
      logIwSize: 150,
    },
  },
  destinations: {
    kafka: {
      class: KafkaDestination,
      options: { brokers: env.CHAIN_BROKERS!, topic: env.CHAIN_TOPIC!, kafkaLogLevel: 'error' },
      batchLines: 500, batchTimeout: 20, timeReopen: 200,
    },
  },
  logPaths: [{ sources: ['http'], destinations: ['kafka'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

const RELAY = `
import { defineConfig } from ${CORE};
import { KafkaSource } from ${KAFKA};
import { WebSocketDestination } from ${WS};
const env = process.env;
export default defineConfig({
  sources: {
    kafka: {
      class: KafkaSource,
      options: {
        brokers: env.CHAIN_BROKERS!, groupId: env.CHAIN_GROUP!, topics: [env.CHAIN_TOPIC!], fromBeginning: true,
        format: 'json', messageField: 'MESSAGE', commitInterval: 500, maxInFlight: 500,
        sessionTimeout: 6000, heartbeatInterval: 1000, maxWaitTimeInMs: 100, kafkaLogLevel: 'error',
      },
      // A graceful stop duplicates nothing only if what is in flight is delivered within
      // drainTimeout (5 s): a window of 1000 drains in well under a second.
      logIwSize: 1000,
    },
  },
  destinations: {
    ws: {
      class: WebSocketDestination,
      options: {
        url: env.CHAIN_SINK_URL!, frame: 'batch', ack: true, ackTimeout: 10000,
        reconnectDelay: 100, reconnectMaxDelay: 500,
      },
      batchLines: 500, batchTimeout: 20, timeReopen: 100,
    },
  },
  logPaths: [{ sources: ['kafka'], destinations: ['ws'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

const SINK = `
import { defineConfig, FileDestination } from ${CORE};
import { WebSocketSource } from ${WS};
const env = process.env;
const flushMs = Number(env.CHAIN_SINK_FLUSH_MS ?? 0);
/** A slow disk: each flush waits first, so that the chain always holds messages in flight. */
class SlowFile extends FileDestination {
  override async flush() {
    await new Promise((r) => setTimeout(r, flushMs));
    return super.flush();
  }
}
export default defineConfig({
  sources: {
    ws: {
      class: WebSocketSource,
      options: { host: '127.0.0.1', port: Number(env.CHAIN_SINK_PORT), format: 'ndjson', messageField: 'MESSAGE', ack: 'batch' },
      // Likewise within closeTimeout (5 s), for the acks this hop owes at a graceful stop.
      logIwSize: 1000,
    },
  },
  destinations: {
    file: { class: SlowFile, options: { path: env.CHAIN_OUT!, template: '\${MESSAGE}' }, batchLines: 100, timeReopen: 200 },
  },
  logPaths: [{ sources: ['ws'], destinations: ['file'] }],
  stateDir: env.CHAIN_STATE!,
});
`;

/** The three hops of the chain. */
export type HopName = 'ingest' | 'relay' | 'sink';

/** Writes the three config files into `dir`; returns their paths by hop. */
export async function writeChainConfigs(dir: string): Promise<Record<HopName, string>> {
  const files = {
    ingest: join(dir, 'ingest.mts'),
    relay: join(dir, 'relay.mts'),
    sink: join(dir, 'sink.mts'),
  };
  await Promise.all([
    writeFile(files.ingest, INGEST),
    writeFile(files.relay, RELAY),
    writeFile(files.sink, SINK),
  ]);
  return files;
}

/** One `logpath run` process. */
export interface Hop {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  /** Highest VmHWM seen for this process, in KiB (sampled; 0 before the first sample). */
  peakKiB: number;
}

/** Every hop spawned and not yet exited: the test's afterEach kills them. */
export const running = new Set<Hop>();

/** Starts `logpath run <config>` (through tsx, against the sources) with `env` added. */
export function spawnHop(name: string, config: string, env: Record<string, string>): Hop {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@logpath/source', CLI, 'run', config],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const chunks: string[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  const hop: Hop = {
    name,
    proc,
    exited: new Promise((resolve) =>
      proc.once('exit', (code) => {
        running.delete(hop);
        resolve(code);
      }),
    ),
    log: () => chunks.join(''),
    peakKiB: 0,
  };
  running.add(hop);
  return hop;
}

/** The port in the source's "listening on scheme://host:port/…" line (HttpSource, WebSocketSource), once logged. */
export function listeningPort(hop: Hop): number | undefined {
  const m = /listening on \w+:\/\/[^\s/]+:(\d+)/.exec(hop.log());
  return m ? Number(m[1]) : undefined;
}

/** True once the hop's KafkaSource joined its group with at least one partition. */
export function assigned(hop: Hop): boolean {
  return /joined group .*: \S+\[\d/.test(hop.log());
}

/** Reads VmHWM (peak resident set) of every running hop into its `peakKiB`. */
export async function sampleRss(hops: Iterable<Hop>): Promise<void> {
  await Promise.all(
    [...hops].map(async (h) => {
      if (h.proc.pid === undefined) return;
      const status = await readFile(`/proc/${h.proc.pid}/status`, 'utf8').catch(() => '');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) h.peakKiB = Math.max(h.peakKiB, Number(m[1]));
    }),
  );
}

/** What the HTTP client did. */
export interface ClientReport {
  /** Ids of messages whose request got a 200. */
  readonly acked: Set<string>;
  /** Requests made, retries included. */
  requests: number;
  /** Answers other than 200, by status (`error` for a failed connection). */
  readonly refused: Record<string, number>;
  /** Requests completed with a 200 so far (for pacing the faults). */
  done: number;
}

/** Options of {@link sendWithRetries}. */
export interface ClientOptions {
  /** Total messages, ids `m-0`…`m-<total-1>`. */
  total: number;
  /** Messages per request (one NDJSON body). */
  batch: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Spread the first attempts of the requests over about this long. */
  spreadMs: number;
}

/**
 * Posts `total` messages as NDJSON requests to `url`, `concurrency` at a
 * time, and retries each request (the same body) until it gets a 200:
 * after a refusal (`Retry-After` honoured, capped at 1 s) or a failed
 * connection. `report` is updated as it goes.
 */
export async function sendWithRetries(
  url: string,
  o: ClientOptions,
  report: ClientReport,
): Promise<void> {
  const requests = Math.ceil(o.total / o.batch);
  const t0 = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let r = next++; r < requests; r = next++) {
      const due = t0 + (r / requests) * o.spreadMs;
      if (due > Date.now()) await delay(due - Date.now());
      const ids: string[] = [];
      for (let i = r * o.batch; i < Math.min(o.total, (r + 1) * o.batch); i++) ids.push(`m-${i}`);
      const body = ids.map((id) => JSON.stringify({ message: id, n: r })).join('\n') + '\n';
      for (;;) {
        report.requests++;
        let status = 'error';
        let wait = 200;
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body,
            signal: AbortSignal.timeout(60_000),
          });
          await res.arrayBuffer();
          status = String(res.status);
          const after = Number(res.headers.get('retry-after'));
          if (after > 0) wait = Math.min(after * 1000, 1000);
        } catch {
          // A failed connection: retried like a refusal.
        }
        if (status === '200') break;
        report.refused[status] = (report.refused[status] ?? 0) + 1;
        await delay(wait);
      }
      for (const id of ids) report.acked.add(id);
      report.done++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
}

/** The lines of the final file that are whole ids (a killed writer may leave a partial last line). */
export async function deliveredIds(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

/** Counts of the final file against what the client got a 200 for. */
export interface Tally {
  delivered: number;
  duplicated: number;
  lost: number;
  /** Lines that are no id the client got a 200 for. */
  unexpected: number;
}

/** Compares the final file's lines with the acknowledged ids. */
export function tally(acked: ReadonlySet<string>, lines: readonly string[]): Tally {
  const seen = new Set<string>();
  let duplicated = 0;
  let unexpected = 0;
  for (const l of lines) {
    if (!acked.has(l)) unexpected++;
    else if (seen.has(l)) duplicated++;
    else seen.add(l);
  }
  return { delivered: seen.size, duplicated, lost: acked.size - seen.size, unexpected };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Options of {@link runChain}. */
export interface ChainOptions extends ClientOptions {
  /** How the middle hops are stopped before their restart. */
  signal: 'SIGKILL' | 'SIGTERM';
  /** Bootstrap brokers of the cluster to use. */
  brokers: string[];
  /** The topic between the ingest and relay hops (created by the caller). */
  topic: string;
  /** The relay's consumer group. */
  group: string;
  /** Temp dir for configs, state and the final file. */
  dir: string;
  /** Each flush of the final file waits this long first (a slow disk; batches of 100): ms. */
  sinkFlushMs: number;
  /**
   * When to stop and restart which middle hops: once `at` (0–1) of the
   * requests got a 200, in order. Each fault waits for the restarted hops
   * (sink listening, relay assigned partitions) before the next one.
   */
  faults: { at: number; hops: ('relay' | 'sink')[] }[];
}

/** What {@link runChain} observed. */
export interface ChainReport {
  client: ClientReport;
  tally: Tally;
  /** Exit codes of the hops stopped, in order (the faults', then the final stops: ingest, relay, sink). */
  exits: { hop: string; code: number | null }[];
  /** Peak RSS per hop name (highest over its restarts), MiB. */
  peakMiB: Record<string, number>;
  /** Requests answered 200 when each fault was injected (`relay+sink@0.7`), to show it hit mid-stream. */
  faultAt: Record<string, number>;
  /** Milliseconds from the first request until the final file held every acked id. */
  elapsedMs: number;
  /** The stderr of every hop process, in start order (for failure messages). */
  logs: string;
}

/**
 * Runs the chain: starts the sink (port 0, remembered for its restarts), the
 * relay and the ingest hop, sends with {@link sendWithRetries}, stops
 * (`signal`) and restarts the middle hops as `faults` says, waits for the
 * final file to hold every acked id, and stops every hop with SIGTERM. `waitFor` is vitest's `vi.waitFor` (passed in so
 * that this module does not import vitest).
 */
export async function runChain(
  o: ChainOptions,
  waitFor: (check: () => unknown, opts: { timeout: number; interval: number }) => Promise<unknown>,
): Promise<ChainReport> {
  const configs = await writeChainConfigs(o.dir);
  const out = join(o.dir, 'out.log');
  const base = {
    CHAIN_BROKERS: o.brokers.join(','),
    CHAIN_TOPIC: o.topic,
    CHAIN_GROUP: o.group,
    CHAIN_OUT: out,
    CHAIN_SINK_FLUSH_MS: String(o.sinkFlushMs),
  };
  const all: Hop[] = [];
  const start = (name: HopName, env: Record<string, string>): Hop => {
    const hop = spawnHop(name, configs[name], {
      ...base,
      ...env,
      CHAIN_STATE: join(o.dir, `state-${name}`),
    });
    all.push(hop);
    return hop;
  };
  const until = (what: string, check: () => boolean, hop?: Hop): Promise<unknown> =>
    waitFor(
      () => {
        if (!check()) throw new Error(`waiting for ${what}${hop ? `\n${hop.log()}` : ''}`);
      },
      { timeout: 90_000, interval: 100 },
    );
  const portOf = async (hop: Hop): Promise<number> => {
    await until(`${hop.name} to listen`, () => listeningPort(hop) !== undefined, hop);
    return listeningPort(hop)!;
  };

  const sampler = setInterval(() => void sampleRss(running), 250);
  const exits: ChainReport['exits'] = [];
  const stop = async (hop: Hop, signal: NodeJS.Signals): Promise<void> => {
    await sampleRss([hop]);
    hop.proc.kill(signal);
    exits.push({ hop: hop.name, code: await hop.exited });
  };
  try {
    // The sink's port is picked once (port 0) and reused by its restart: the relay's
    // WebSocketDestination url is fixed for the life of its process.
    let sink = start('sink', { CHAIN_SINK_PORT: '0' });
    const sinkPort = await portOf(sink);
    const relayEnv = { CHAIN_SINK_URL: `ws://127.0.0.1:${sinkPort}/` };
    let relay = start('relay', relayEnv);
    const ingest = start('ingest', {});
    const url = `http://127.0.0.1:${await portOf(ingest)}/ingest`;
    await until('the relay to join its group', () => assigned(relay), relay);

    const client: ClientReport = { acked: new Set(), requests: 0, refused: {}, done: 0 };
    const requests = Math.ceil(o.total / o.batch);
    const t0 = Date.now();
    let sending = true;
    const sent = sendWithRetries(url, o, client).finally(() => (sending = false));
    const faultAt: Record<string, number> = {};

    for (const fault of o.faults) {
      const key = `${fault.hops.join('+')}@${fault.at}`;
      await until(
        `${fault.at * 100} % of the requests`,
        () => client.done >= requests * fault.at || !sending,
      );
      faultAt[key] = client.done;
      // Stopped together, restarted together: the relay then reconnects to a sink still starting.
      await Promise.all(fault.hops.map((h) => stop(h === 'relay' ? relay : sink, o.signal)));
      if (fault.hops.includes('sink')) sink = start('sink', { CHAIN_SINK_PORT: String(sinkPort) });
      if (fault.hops.includes('relay')) relay = start('relay', relayEnv);
      if (fault.hops.includes('sink')) await portOf(sink);
      if (fault.hops.includes('relay')) {
        await until('the restarted relay to join its group', () => assigned(relay), relay);
      }
    }

    await sent;
    await waitFor(
      async () => {
        const t = tally(client.acked, await deliveredIds(out));
        if (t.lost > 0) throw new Error(`${t.lost} of ${client.acked.size} not delivered yet`);
      },
      { timeout: 90_000, interval: 250 },
    );
    const elapsedMs = Date.now() - t0;
    for (const hop of [ingest, relay, sink]) await stop(hop, 'SIGTERM');

    const peakMiB: Record<string, number> = {};
    for (const h of all) {
      peakMiB[h.name] = Math.max(peakMiB[h.name] ?? 0, Math.round(h.peakKiB / 102.4) / 10);
    }
    return {
      client,
      tally: tally(client.acked, await deliveredIds(out)),
      exits,
      peakMiB,
      faultAt,
      elapsedMs,
      logs: all.map((h) => `--- ${h.name} (pid ${h.proc.pid}) ---\n${h.log()}`).join('\n'),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** The result-file entry of a chain run (see results.ts). */
export function chainResult(
  scenario: string,
  o: ChainOptions,
  r: ChainReport,
): import('./results.js').ReliabilityResult {
  const peaks = Object.values(r.peakMiB);
  const stopped =
    o.signal === 'SIGKILL' ? 'middle hops killed (SIGKILL)' : 'middle hops stopped (SIGTERM)';
  const requests = Math.ceil(o.total / o.batch);
  const faults = Object.entries(r.faultAt)
    .map(([key, done]) => {
      const hops = key
        .split('@')[0]!
        .split('+')
        .map((h) => (h === 'relay' ? 'Kafka→WS' : 'WS→file'));
      return `${hops.join(' and ')} at ${done}/${requests} requests`;
    })
    .join(', ');
  return {
    scenario,
    load:
      `${o.total} messages as ${requests} NDJSON requests of ${o.batch}, ` +
      `${o.concurrency} concurrent, over ~${Math.round(o.spreadMs / 1000)} s, retried until 200; ` +
      'HTTP → Kafka → WebSocket → file, each hop a `logpath run` process; ' +
      `the file destination waits ${o.sinkFlushMs} ms per flush of ≤ 100`,
    injected: `${stopped} and restarted while the client sends: ${faults}`,
    sent: r.client.acked.size,
    delivered: r.tally.delivered,
    duplicated: r.tally.duplicated,
    lost: r.tally.lost,
    peakRssMiB: peaks.length > 0 ? Math.max(...peaks) : null,
    details: {
      requests: r.client.requests,
      refusedAnswers: JSON.stringify(r.client.refused),
      ...Object.fromEntries(Object.entries(r.peakMiB).map(([k, v]) => [`peakRssMiB.${k}`, v])),
      completeAfterMs: r.elapsedMs,
      node: process.version,
      date: new Date().toISOString(),
    },
  };
}
