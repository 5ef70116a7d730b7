/**
 * The server under test of the hostile HTTP tests: one pipeline with an
 * HttpSource per body format (route `/:stream`), a counting destination, and
 * a well-behaved client that posts numbered NDJSON lines to `/good` while the
 * hostile requests go to `/fuzz` of the same servers.
 */
import { Agent } from 'node:http';
import { expect, vi } from 'vitest';
import { defineConfig, LogDestination, Pipeline, type LogMessage } from '@logpath/core';
import { HttpSource, type HttpSourceFormat, type HttpSourceOptions } from '@logpath/adapter-http';
import {
  DeliveryCheck,
  httpSend,
  mib,
  RssSampler,
  type Answer,
  type SendOptions,
} from './hostile-net-support.js';
import type { ReliabilityResult } from './results.js';

/** Every format, one source each. */
export const FORMATS = ['auto', 'json', 'ndjson', 'text', 'raw', 'syslog'] as const;

/** Limits small enough that bombs and oversize bodies are cheap to build. */
export const LIMITS = Object.freeze({
  maxBodyBytes: 512 * 1024,
  maxLineBytes: 4096,
  maxMessages: 500,
});

/** Counts arrivals per stream; the good stream's sequence numbers go to a DeliveryCheck. */
export class StreamCounter extends LogDestination<{ counter: Counts }> {
  #c!: Counts;

  override init(o: { counter: Counts }): void {
    this.#c = o.counter;
  }

  override send(msg: LogMessage): 3 {
    const stream = msg.get('HTTP.PARAMS.stream');
    if (stream === 'good') {
      const seq = msg.get('seq');
      if (typeof seq === 'number') this.#c.good.arrived(seq);
    } else {
      this.#c.fuzz++;
    }
    return this.SUCCESS;
  }
}

/** What arrived at the destination. */
export interface Counts {
  fuzz: number;
  readonly good: DeliveryCheck;
}

export interface HostileServer {
  readonly pipeline: Pipeline;
  readonly ports: Record<(typeof FORMATS)[number], number>;
  readonly counts: Counts;
}

/** Starts one HttpSource per format (extra options for all), feeding a StreamCounter. */
export async function startHostileServer(extra: HttpSourceOptions = {}): Promise<HostileServer> {
  const counts: Counts = { fuzz: 0, good: new DeliveryCheck() };
  const sources: Record<string, { class: typeof HttpSource; options: HttpSourceOptions }> = {};
  for (const f of FORMATS) {
    sources[f] = {
      class: HttpSource,
      options: {
        host: '127.0.0.1',
        port: 0,
        path: '/:stream',
        format: f as HttpSourceFormat,
        ...LIMITS,
        ...extra,
      },
    };
  }
  const pipeline = new Pipeline(
    defineConfig({
      sources,
      destinations: { count: { class: StreamCounter, options: { counter: counts } } },
      logPaths: [{ sources: [...FORMATS], destinations: ['count'] }],
      log: { stderr: false },
    }),
  );
  await pipeline.start();
  const ports = {} as Record<(typeof FORMATS)[number], number>;
  for (const f of FORMATS) ports[f] = await (pipeline.component(f) as HttpSource).whenListening();
  return { pipeline, ports, counts };
}

/**
 * A well-behaved client: posts `{"seq":n}` lines, two per request, to
 * `/good` of `port` on a keep-alive connection until stopped; a 202 marks
 * both accepted, a 429 is retried. Anything else is recorded as a failure.
 */
export class GoodClient {
  readonly failures: string[] = [];
  requests = 0;
  #running = true;
  readonly #done: Promise<void>;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    port: number,
    readonly check: DeliveryCheck,
  ) {
    this.#done = this.#loop(port);
  }

  async #loop(port: number): Promise<void> {
    let seq = 0;
    while (this.#running) {
      const body = `{"seq":${seq}}\n{"seq":${seq + 1}}\n`;
      const a = await httpSend(port, {
        path: '/good',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
        agent: this.#agent,
      }).catch((err: unknown) => ({ status: -1, text: String(err) }));
      this.requests++;
      if (a.status === 202) {
        this.check.accepted.add(seq);
        this.check.accepted.add(seq + 1);
        seq += 2;
      } else if (a.status !== 429) {
        this.failures.push(`${a.status} ${a.text}`);
        seq += 2; // not accepted: must not count as lost, and a new number keeps arrivals apart
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops after the request in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
    this.#agent.destroy();
  }
}

/** A format of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

/**
 * One test file's run: the servers, the well-behaved client, the RSS
 * sampler, and the checks every hostile request goes through.
 */
export class HostileRun {
  /** Messages the hostile requests were answered as accepted: what must have arrived on /fuzz. */
  expectedFuzz = 0;
  readonly tally = { requests: 0, byStatus: new Map<number, number>() };

  private constructor(
    readonly srv: HostileServer,
    readonly good: GoodClient,
    readonly rss: RssSampler,
  ) {}

  static async start(): Promise<HostileRun> {
    const srv = await startHostileServer();
    return new HostileRun(srv, new GoodClient(srv.ports.ndjson, srv.counts.good), new RssSampler());
  }

  async stop(): Promise<void> {
    await this.good.stop();
    this.rss.stop();
    await this.srv.pipeline.stop();
  }

  /**
   * Sends one hostile request to `/fuzz` and checks the answer: status 2xx
   * or 4xx, a JSON body (`accepted` or a non-empty `error`), and that exactly
   * the accepted messages reached the destination. Returns the answer.
   */
  async send(format: Format, o: SendOptions): Promise<Answer> {
    const srv = this.srv;
    const a = await httpSend(srv.ports[format], { path: '/fuzz', ...o });
    this.tally.requests++;
    this.tally.byStatus.set(a.status, (this.tally.byStatus.get(a.status) ?? 0) + 1);
    const what = `${format} answered ${a.status} ${a.text}${a.error ? ` (${a.error})` : ''}`;
    expect(a.status >= 200 && a.status < 500, what).toBe(true);
    expect(a.json, `${what}: the body is not a JSON object`).toBeDefined();
    expect(String(a.headers['content-type']), what).toMatch(/^application\/json/);
    if (a.status === 202) {
      const n = a.json!.accepted;
      expect(Number.isInteger(n) && (n as number) >= 0, what).toBe(true);
      this.expectedFuzz += n as number;
    } else {
      expect(a.status, what).toBeGreaterThanOrEqual(400);
      expect(typeof a.json!.error === 'string' && a.json!.error !== '', what).toBe(true);
    }
    // Posting happens before the answer; arrival a moment later.
    const want = this.expectedFuzz;
    await vi.waitFor(() => expect(srv.counts.fuzz).toBeGreaterThanOrEqual(want), {
      timeout: 10_000,
      interval: 2,
    });
    await new Promise((r) => setImmediate(r));
    expect(srv.counts.fuzz, `${what}: posted a different number of messages`).toBe(want);
    return a;
  }

  /**
   * Stops the well-behaved client, checks that every message it got accepted
   * arrived exactly once, and returns the result row.
   */
  async finish(
    scenario: string,
    injected: string,
    details: Record<string, string | number> = {},
  ): Promise<ReliabilityResult> {
    await this.good.stop();
    this.rss.stop();
    const check = this.srv.counts.good;
    await vi.waitFor(() => expect(check.delivered).toBe(check.accepted.size), { timeout: 15_000 });
    expect(this.good.failures).toEqual([]);
    expect(check.accepted.size).toBeGreaterThan(0);
    expect(check.duplicated).toBe(0);
    expect(check.lost).toBe(0);
    const by = [...this.tally.byStatus].sort((a, b) => a[0] - b[0]);
    return {
      scenario,
      load: `${this.tally.requests} hostile requests to ${FORMATS.length} HttpSources (one per format) beside a client posting ${this.good.requests} well-formed requests to the same servers`,
      injected,
      sent: check.accepted.size,
      delivered: check.delivered,
      duplicated: check.duplicated,
      lost: check.lost,
      peakRssMiB: this.rss.peakMiB,
      details: {
        hostileAnswers: by.map(([s, n]) => `${s}×${n}`).join(', '),
        hostileMessagesAccepted: this.expectedFuzz,
        hostileMessagesPosted: this.srv.counts.fuzz,
        answers5xxOrNone: by.filter(([s]) => s >= 500 || s === 0).reduce((n, [, c]) => n + c, 0),
        ...details,
        rssNote:
          'one process holds the servers, the clients and the fast-check generators: the peak is mostly their short-lived garbage',
        baselineRssMiB: mib(this.rss.baseline),
        node: process.version,
        date: new Date().toISOString(),
      },
    };
  }
}
