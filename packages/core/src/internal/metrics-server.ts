import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsConfig } from '../config.js';
import { LifecycleError } from '../errors.js';
import type { ComponentStats } from '../stats.js';

/** What `GET /health` reports. */
export interface HealthReport {
  /** `ok` while running and nothing fails; otherwise the pipeline's state or `failing`. */
  readonly status: string;
  /** Persist names of the destinations waiting to reopen or resend after a failure. */
  readonly failing?: readonly string[];
}

/** What the server reads on every request; supplied by the Pipeline. */
export interface MetricsSource {
  stats(): ComponentStats[];
  health(): HealthReport;
}

type Labels = { component: string; kind: string };
type CounterField =
  'received' | 'posted' | 'delivered' | 'retried' | 'fallback' | 'bytes' | 'errors';

const PREFIX = 'logpath_';
const LABELS = ['component', 'kind'] as const;

/**
 * The `metrics` endpoint of a pipeline: a `node:http` server answering
 * `GET <path>` with the pipeline's counters in Prometheus text format and
 * `GET /health` with a JSON status. It uses a private prom-client Registry
 * (several pipelines in one process never share series) and reads
 * `stats()` at scrape time, so the hot path pays nothing for it.
 */
export class MetricsServer {
  readonly #registry = new Registry();
  readonly #source: MetricsSource;
  readonly #server: Server;
  readonly #counters: [Counter<keyof Labels>, CounterField, ComponentStats['kind'] | undefined][];
  readonly #dropped: Counter<keyof Labels | 'reason'>;
  readonly #queue: Gauge<keyof Labels>;
  readonly #suspended: Gauge<keyof Labels>;
  #options: Readonly<Required<MetricsConfig>>;
  #port: number | undefined;

  constructor(options: Readonly<Required<MetricsConfig>>, source: MetricsSource) {
    this.#options = options;
    this.#source = source;
    const registers = [this.#registry];
    const counter = (
      field: CounterField,
      name: string,
      help: string,
      only?: ComponentStats['kind'],
    ): [Counter<keyof Labels>, CounterField, ComponentStats['kind'] | undefined] => [
      new Counter({ name: PREFIX + name, help, labelNames: LABELS, registers }),
      field,
      only,
    ];
    this.#counters = [
      counter(
        'received',
        'messages_received_total',
        'Messages posted by a source or enqueued to a destination.',
      ),
      counter(
        'posted',
        'messages_posted_total',
        'Messages a source posted into its log paths.',
        'source',
      ),
      counter(
        'delivered',
        'messages_delivered_total',
        'Messages a destination delivered.',
        'destination',
      ),
      counter(
        'retried',
        'messages_retried_total',
        'Batches a destination resent after a failure.',
        'destination',
      ),
      counter(
        'fallback',
        'messages_fallback_total',
        'Messages a destination handed to its fallback destination.',
        'destination',
      ),
      counter('bytes', 'bytes_total', 'Approximate bytes of the messages handled.'),
      counter('errors', 'errors_total', 'Plugin errors: exceptions, failed opens, run() crashes.'),
    ];
    this.#dropped = new Counter({
      name: PREFIX + 'messages_dropped_total',
      help: 'Messages lost, by reason.',
      labelNames: [...LABELS, 'reason'],
      registers,
    });
    this.#queue = new Gauge({
      name: PREFIX + 'queue_messages',
      help: 'Messages waiting in a destination queue, including an unacknowledged batch.',
      labelNames: LABELS,
      registers,
    });
    this.#suspended = new Gauge({
      name: PREFIX + 'component_suspended',
      help: '1 while a source is suspended by flow control or a destination waits to reopen.',
      labelNames: LABELS,
      registers,
    });
    collectDefaultMetrics({ register: this.#registry, prefix: PREFIX });
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** The bound port once listening (useful with `port: 0`), else undefined. */
  get port(): number | undefined {
    return this.#port;
  }

  /** The options it was started with. */
  get options(): Readonly<Required<MetricsConfig>> {
    return this.#options;
  }

  /** Serves the metrics on a new path without rebinding (a reload that keeps port and host). */
  set path(path: string) {
    this.#options = { ...this.#options, path };
  }

  /**
   * Starts listening; resolves with the bound port.
   * @throws the listen error (EADDRINUSE, EACCES…), with nothing left open.
   */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', onError);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve(this.#port);
      });
    });
  }

  /** Stops listening and ends open (keep-alive) connections. Idempotent. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#registry.clear();
  }

  /** The text a scrape returns: the counters read from `stats()` now, plus process metrics. */
  async render(): Promise<string> {
    this.#update(this.#source.stats());
    return this.#registry.metrics();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', {
          allow: 'GET, HEAD',
        });
      } else if (path === this.#options.path) {
        reply(res, 200, this.#registry.contentType, await this.render());
      } else if (path === '/health') {
        const h = this.#source.health();
        reply(res, h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h));
      } else {
        reply(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    } catch (err) {
      // A broken scrape must not take the pipeline down; the scraper sees the failure.
      reply(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${(err as Error).message}\n`);
    }
  }

  /** Sets every series from a snapshot; reset first so components gone after a reload disappear. */
  #update(stats: readonly ComponentStats[]): void {
    for (const [c] of this.#counters) c.reset();
    this.#dropped.reset();
    this.#queue.reset();
    this.#suspended.reset();
    for (const s of stats) {
      const labels: Labels = { component: s.persistName, kind: s.kind };
      for (const [c, field, only] of this.#counters) {
        if (only === undefined || only === s.kind) c.inc(labels, s[field]);
      }
      for (const [reason, n] of Object.entries(s.dropped)) {
        this.#dropped.inc({ ...labels, reason }, n);
      }
      if (s.kind === 'destination') this.#queue.set(labels, s.queued);
      this.#suspended.set(labels, s.suspended);
    }
  }
}

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Makes the server of a (re)loaded config: returns `current` when the port
 * and host are unchanged (the caller then sets the new `path` once the reload
 * has succeeded), starts a new one when they differ or there is none. The
 * caller closes `current` when a different one is returned.
 * @throws LifecycleError naming host and port when a new server cannot listen.
 */
export async function openMetricsServer(
  current: MetricsServer | undefined,
  options: Readonly<Required<MetricsConfig>> | undefined,
  source: MetricsSource,
): Promise<MetricsServer | undefined> {
  if (options === undefined) return undefined;
  if (
    current !== undefined &&
    current.options.port === options.port &&
    current.options.host === options.host
  ) {
    return current;
  }
  const server = new MetricsServer(options, source);
  try {
    await server.listen();
  } catch (err) {
    throw new LifecycleError(
      `metrics: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return server;
}
