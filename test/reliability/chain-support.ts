/**
 * Helpers of the end-to-end chain tests: an HTTP client that retries every
 * request until it gets a 200, the tally of the final file, and the scenario
 * itself ({@link runChain}): start the three hops, stop and restart the middle
 * ones while the client sends, wait until every acknowledged message arrived.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assigned,
  listeningPort,
  running,
  sampleRss,
  spawnHop,
  writeChainConfigs,
  type Hop,
  type HopName,
  warnings,
} from './chain-hops.js';
import { createTopic, sharedCluster, unique } from '../../packages/adapter-kafka/src/test-kafka.js';
import type { ReliabilityResult } from './results.js';

export { running } from './chain-hops.js';

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
  /** Spread the first attempts of the requests (in bursts of `concurrency`) over about this long. */
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
      // In bursts of `concurrency` requests, which overlap and so meet the ingest hop's 429s.
      const burst = r - (r % o.concurrency);
      const due = t0 + (burst / requests) * o.spreadMs;
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

/** The non-empty lines of the final file (each flush is one append, so a kill leaves no partial line). */
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
   * (sink listening, relay assigned partitions) and for the final file to grow
   * again before the next one.
   */
  faults: { at: number; hops: ('relay' | 'sink')[] }[];
}

/**
 * The scenario both chain tests run, differing only in how the middle hops
 * stop: 20,000 messages in NDJSON requests of 100, 4 at a time over about
 * 30 s, through a new 3-partition topic of the shared cluster into a slow
 * final file; the relay, then the sink, then both are stopped and restarted.
 */
export async function chainScenario(
  signal: ChainOptions['signal'],
  dir: string,
): Promise<ChainOptions> {
  const cluster = sharedCluster();
  const topic = unique('chain');
  await createTopic(cluster, topic, 3);
  return {
    signal,
    brokers: cluster.brokers,
    topic,
    group: unique('chain-group'),
    dir,
    total: 20_000,
    batch: 100,
    concurrency: 4,
    spreadMs: 30_000,
    // A slow final file (at most ~2000 msg/s: 100 per 50 ms flush, against the client's
    // ~670/s): the backlog of each outage takes seconds to drain, so the next stop (which
    // comes as soon as deliveries resume) finds messages in flight at every hop.
    sinkFlushMs: 50,
    faults: [
      { at: 0.15, hops: ['relay'] },
      { at: 0.4, hops: ['sink'] },
      { at: 0.65, hops: ['relay', 'sink'] },
    ],
  };
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
 * final file to hold every acked id, and stops every hop with SIGTERM.
 * `waitFor` is vitest's `vi.waitFor` (passed in so that this module does not
 * import vitest). A hop that has not exited 30 s after its signal is killed
 * (its exit code is then null).
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
    const watchdog = setTimeout(() => hop.proc.kill('SIGKILL'), 30_000);
    exits.push({ hop: hop.name, code: await hop.exited });
    clearTimeout(watchdog);
  };
  // What went wrong, for a timeout's message: the warnings and errors of every hop so far.
  const problems = (): string =>
    all.map((h) => `${h.name} (pid ${h.proc.pid}):\n${warnings(h)}`).join('\n');
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
      // The next fault hits a chain that works again: the final file grows.
      const lines = (await deliveredIds(out)).length;
      await waitFor(
        async () => {
          if ((await deliveredIds(out)).length <= lines)
            throw new Error(`no delivery since the restart\n${problems()}`);
        },
        { timeout: 90_000, interval: 100 },
      );
    }

    await sent;
    await waitFor(
      async () => {
        const t = tally(client.acked, await deliveredIds(out));
        if (t.lost > 0) {
          throw new Error(`${t.lost} of ${client.acked.size} not delivered yet\n${problems()}`);
        }
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
export function chainResult(scenario: string, o: ChainOptions, r: ChainReport): ReliabilityResult {
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
      `in bursts of ${o.concurrency} concurrent over ~${Math.round(o.spreadMs / 1000)} s, retried until 200; ` +
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
