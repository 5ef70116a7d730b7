/**
 * The sequence every adapter overload scenario runs: a pipeline from the
 * adapter's source to a SlowSink, a client offering ten times what the sink
 * takes for LOAD_MS, a wait for the offers in flight, then the sink at full
 * speed until every accepted message arrived; then the figures go to
 * `results/<scenario>.json` and the checks every scenario shares run after
 * the adapter's own. What differs between adapters (how the client offers,
 * how refusals or pauses are counted, the source config, the RSS allowance)
 * comes in an {@link OverloadScenario}.
 */
import { expect } from 'vitest';
import {
  defineConfig,
  Pipeline,
  type LogLevel,
  type PipelineOptions,
  type SourceConfig,
} from '@logpath/core';
import { writeResult } from './results.js';
import {
  Arrivals,
  DEST_BATCH,
  DEST_DELAY_MS,
  LOAD_MS,
  mib,
  OFFER_RATE,
  pace,
  RssSampler,
  settle,
  SlowSink,
  type Pace,
} from './overload-support.js';

/** The load side of a scenario, made once the pipeline runs. */
export interface OverloadClient {
  /** Messages one `offer()` carries. */
  perCall: number;
  /** Offers `perCall` messages; false when the client cannot take more right now (see `pace`). */
  offer: () => boolean;
  /** Offers not answered yet; when given, the runner waits (up to 30 s) for 0 after the load. */
  inFlight?: () => number;
  /** Messages the pipeline accepted (acknowledged, answered 202, written): all must arrive. */
  sent: () => number;
  /** Sequence numbers of the accepted messages. Default: 0 to `sent() - 1`. */
  accepted?: () => Iterable<number>;
  /** A further condition of the drain besides every accepted message arriving (acks received). */
  drained?: () => boolean;
  /** Runs once the drain ended, before the pipeline stops (snapshot stats, close the client). */
  afterDrain?: () => void;
}

/** The figures of a run, handed to the scenario's report and checks. */
export interface OverloadFigures {
  pipeline: Pipeline;
  arrivals: Arrivals;
  rss: RssSampler;
  /** From the first offer until the offers in flight were answered, in ms. */
  loadMs: number;
  deliveredInLoad: number;
  /** Peak RSS when the load ended, in bytes. */
  peakInLoad: number;
  /** `client.sent()` once the load ended. */
  sent: number;
  /** How long the drain at full speed took, in ms. */
  drainMs: number;
  lost: number;
  /** RSS bound in bytes: the baseline plus the scenario's allowance. */
  bound: number;
  /** Messages delivered per second of load. */
  throughput: number;
  /** `baselineRssMiB` and `rssBoundMiB`, for the result's details. */
  rssDetails: { baselineRssMiB: number; rssBoundMiB: number };
  /** `count` per second of load, rounded. */
  perSec: (count: number) => number;
}

/** What an adapter scenario brings to {@link runOverload}. */
export interface OverloadScenario {
  /** Result name (`results/<scenario>.json`) and prefix of the console line. */
  scenario: string;
  /** The source under test, by its name in the pipeline. */
  sourceName: string;
  source: SourceConfig;
  /** Default: `info` (the config's default). */
  logLevel?: LogLevel;
  logSink?: PipelineOptions['logSink'];
  /** The sink's batch and delay per batch; default DEST_BATCH and DEST_DELAY_MS. */
  destBatch?: number;
  destDelayMs?: number;
  /** Messages per second offered; default OFFER_RATE. */
  offerRate?: number;
  /** Bytes the RSS may grow above its baseline. */
  rssAllowance: number;
  /** How long the drain may take, in ms; default 60000. */
  drainTimeoutMs?: number;
  /** Connects the client to the started pipeline; the load starts when it resolves. */
  connect: (pipeline: Pipeline) => Promise<OverloadClient>;
  /** The result's `load` and `injected` texts and its details (`node` and `date` are added). */
  report: (f: OverloadFigures) => {
    load: string;
    injected: string;
    details: Record<string, string | number>;
  };
  /** The scenario's own checks, run before the shared ones (no loss, no duplicate, RSS bound). */
  check: (f: OverloadFigures) => void;
  /** Message of the `lost` check (what to look at when records are lost). */
  lostMessage?: () => string;
  /** Closes the client; runs before the pipeline stops, also when the run failed. */
  release?: () => void | Promise<void>;
}

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}

/**
 * Runs one overload scenario, writes its result and checks it: the scenario's
 * checks, then every accepted message delivered once, none unreadable, the
 * peak RSS below the baseline plus `rssAllowance`, nothing dropped.
 * @throws the first failed expectation, or what the pipeline or client threw.
 */
export async function runOverload(s: OverloadScenario): Promise<void> {
  const arrivals = new Arrivals();
  const speed: Pace = { delayMs: s.destDelayMs ?? DEST_DELAY_MS };
  const pipeline = new Pipeline(
    defineConfig({
      sources: { [s.sourceName]: s.source },
      destinations: {
        slow: {
          class: SlowSink,
          options: { arrivals, pace: speed },
          batchLines: s.destBatch ?? DEST_BATCH,
        },
      },
      logPaths: [{ sources: [s.sourceName], destinations: ['slow'] }],
      log: s.logLevel ? { stderr: false, level: s.logLevel } : { stderr: false },
    }),
    s.logSink ? { logSink: s.logSink } : {},
  );
  const rss = new RssSampler();
  try {
    await pipeline.start();
    const client = await s.connect(pipeline);
    const loadStart = performance.now();
    const deadline = loadStart + LOAD_MS;
    await pace(
      s.offerRate ?? OFFER_RATE,
      client.perCall,
      () => performance.now() < deadline,
      client.offer,
    );
    const inFlight = client.inFlight;
    if (inFlight) await settle(() => inFlight() === 0, 30_000);
    const loadMs = performance.now() - loadStart;
    const deliveredInLoad = arrivals.delivered;
    const peakInLoad = rss.peak;
    speed.delayMs = 0; // the destination recovers: what was accepted must now all arrive
    const sent = client.sent();
    const drainMs = await settle(
      () => (client.drained?.() ?? true) && arrivals.delivered >= sent,
      s.drainTimeoutMs ?? 60_000,
    );
    client.afterDrain?.();
    await pipeline.stop();
    rss.stop();

    const lost = arrivals.missing(client.accepted?.() ?? range(sent));
    const bound = rss.baseline + s.rssAllowance;
    const perSec = (count: number): number => Math.round(count / (loadMs / 1000));
    const f: OverloadFigures = {
      pipeline,
      arrivals,
      rss,
      loadMs,
      deliveredInLoad,
      peakInLoad,
      sent,
      drainMs,
      lost,
      bound,
      throughput: perSec(deliveredInLoad),
      rssDetails: { baselineRssMiB: mib(rss.baseline), rssBoundMiB: mib(bound) },
      perSec,
    };
    const { load, injected, details } = s.report(f);
    const summary = {
      scenario: s.scenario,
      load,
      injected,
      sent,
      delivered: arrivals.delivered,
      duplicated: arrivals.duplicated,
      lost,
      peakRssMiB: mib(rss.peak),
      details: { ...details, node: process.version, date: new Date().toISOString() },
    };
    console.log(`${s.scenario}: ${JSON.stringify(summary)}`);
    await writeResult(summary);

    s.check(f);
    expect(arrivals.unreadable).toBe(0);
    expect(arrivals.duplicated).toBe(0);
    expect(lost, s.lostMessage?.()).toBe(0);
    expect(arrivals.delivered).toBe(sent);
    expect(rss.peak, `peak RSS ${mib(rss.peak)} MiB, bound ${mib(bound)} MiB`).toBeLessThan(bound);
    const dest = pipeline.stats().find((st) => st.kind === 'destination')!;
    expect(dest.dropped).toEqual({});
  } finally {
    rss.stop();
    await s.release?.();
    await pipeline.stop();
  }
}
