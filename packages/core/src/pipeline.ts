import type { PipelineConfig } from './config.js';
import { ErrorCode, LifecycleError } from './errors.js';
import type { LogDestination } from './log-destination.js';
import type { LogSource } from './log-source.js';
import { InternalSource } from './internal-source.js';
import { LogHub, stderrSink, type LogSink } from './logger.js';
import { Counters, type ComponentStats } from './stats.js';
import { DestinationDriver } from './internal/destination-driver.js';
import { queueFor, retireQueue } from './internal/destination-queue.js';
import type { MessageQueue } from './internal/message-queue.js';
import {
  openMetricsServer,
  type HealthReport,
  type MetricsServer,
  type MetricsSource,
} from './internal/metrics-server.js';
import { SourceDriver, type Route } from './internal/source-driver.js';
import { registerStateDir } from './internal/state-registry.js';
import { planPipeline, type Plan, type PlannedComponent } from './internal/validate-config.js';
import { show } from './option-checks.js';

/** Lifecycle state of a {@link Pipeline}. */
export type PipelineState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

interface Built {
  plan: Plan;
  unregister: (() => void)[];
  sources: Map<string, SourceDriver>;
  destinations: Map<string, DestinationDriver>;
}

/** Options of {@link Pipeline} beyond the config itself. */
export interface PipelineOptions {
  /** Extra receiver of the runtime's log lines (tests, custom log shipping). */
  logSink?: LogSink;
}

/**
 * Runs a config: instantiates its sources and destinations, wires the log
 * paths, and owns the queues. `start()`, `stop()` and `reload()` return
 * promises; `stop()` is idempotent and drains before it closes.
 *
 * @example
 * const pipeline = new Pipeline(config);
 * await pipeline.start();
 * process.once('SIGTERM', () => void pipeline.stop());
 */
export class Pipeline {
  #config: PipelineConfig;
  #state: PipelineState = 'created';
  #built: Built | undefined;
  #stopping: Promise<void> | undefined;
  readonly #hub = new LogHub();
  readonly #log = this.#hub.logger('pipeline');
  #removeStderr: (() => void) | undefined;
  #metrics: MetricsServer | undefined;
  #reloading = false;
  readonly #metricsSource: MetricsSource = {
    stats: () => this.stats(),
    health: () => this.#health(),
  };

  constructor(config: PipelineConfig, options: PipelineOptions = {}) {
    this.#config = config;
    if (options.logSink) this.#hub.addSink(options.logSink);
  }

  /** Current lifecycle state. */
  get state(): PipelineState {
    return this.#state;
  }

  /** The port the `metrics` endpoint listens on (the bound one with `port: 0`); undefined when off. */
  get metricsPort(): number | undefined {
    return this.#metrics?.port;
  }

  /**
   * Validates the config, inits every destination then every source, and
   * starts them.
   * @throws ConfigError listing every problem in the config (nothing is started).
   * @throws LifecycleError naming the component whose `init()` failed.
   */
  async start(): Promise<void> {
    if (this.#state !== 'created')
      throw new LifecycleError(`start() needs a new pipeline; it is ${this.#state}`);
    const plan = planPipeline(this.#config);
    this.#state = 'starting';
    this.#applyLogOptions(plan);
    try {
      this.#metrics = await openMetricsServer(undefined, plan.metrics, this.#metricsSource);
      this.#built = await this.#build(plan, new Map());
    } catch (err) {
      this.#state = 'stopped';
      await this.#metrics?.close();
      this.#metrics = undefined;
      this.#removeStderr?.();
      throw err;
    }
    this.#launch(this.#built);
    this.#state = 'running';
    this.#log.info(
      `started: ${plan.sources.length} sources, ${plan.destinations.length} destinations, ${plan.logPaths.length} log paths`,
    );
    // With port 0 this line is the only place an operator can learn the bound port.
    if (this.#metrics && plan.metrics) {
      const { host, path } = plan.metrics;
      this.#log.info(`metrics on http://${host}:${this.#metrics.port}${path}`);
    }
  }

  /**
   * Stops sources (requestExit, wait for run()), drains destination queues
   * within `stopTimeout`, then closes and deinits everything. Messages still
   * queued after the timeout are logged and counted as dropped (shutdown).
   * Idempotent: later calls return the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const built = this.#built;
    this.#state = 'stopping';
    if (built) await this.#teardown(built, new Set());
    await this.#metrics?.close(); // last: /health answers "stopping" while the queues drain
    this.#metrics = undefined;
    this.#state = 'stopped';
    this.#log.info('stopped');
    this.#removeStderr?.();
  }

  /**
   * Replaces the running config. New instances are built and inited first;
   * if that fails the running pipeline is left unchanged and the error is
   * thrown. Queued messages of destinations whose persist name is unchanged
   * move to the new instance.
   * @throws ConfigError or LifecycleError, with the old pipeline still running.
   */
  async reload(config: PipelineConfig): Promise<void> {
    if (this.#state !== 'running' || !this.#built) {
      throw new LifecycleError(`reload() needs a running pipeline; it is ${this.#state}`);
    }
    const plan = planPipeline(config);
    const old = this.#built;
    const keep = new Set(plan.destinations.map((d) => d.persistName));
    const handover = new Map<string, MessageQueue>();
    for (const d of old.destinations.values()) {
      if (keep.has(d.counters.persistName)) handover.set(d.counters.persistName, d.queue);
    }
    // Both throw with the old pipeline untouched; the metrics server is kept when port and host are.
    const metrics = await openMetricsServer(this.#metrics, plan.metrics, this.#metricsSource);
    let next: Built;
    try {
      next = await this.#build(plan, handover);
    } catch (err) {
      if (metrics !== this.#metrics) await metrics?.close();
      throw err;
    }
    this.#reloading = true;
    this.#state = 'stopping';
    await this.#teardown(old, keep);
    for (const d of next.destinations.values()) {
      const q = handover.get(d.counters.persistName);
      if (q !== undefined && q !== d.queue) await retireQueue(q, d.queue, d.instance.logger);
    }
    this.#config = config;
    this.#built = next;
    this.#applyLogOptions(plan);
    this.#launch(next);
    this.#state = 'running';
    this.#reloading = false;
    if (metrics !== this.#metrics) await this.#metrics?.close();
    this.#metrics = metrics;
    if (metrics && plan.metrics) metrics.path = plan.metrics.path;
    this.#log.info('reloaded');
  }

  /** Counters of every component. */
  stats(): ComponentStats[] {
    const b = this.#built;
    if (!b) return [];
    const out: ComponentStats[] = [];
    for (const s of b.sources.values()) out.push(s.counters.snapshot());
    for (const d of b.destinations.values()) {
      d.counters.queued = d.queue.length + d.queue.backlog;
      out.push(d.counters.snapshot());
    }
    return out;
  }

  /** The running instance of the source or destination named `name` in the config. */
  component(name: string): LogSource<unknown> | LogDestination<unknown> | undefined {
    const b = this.#built;
    return b?.sources.get(name)?.instance ?? b?.destinations.get(name)?.instance;
  }

  /** `/health`: ok while running (also during a reload) unless a destination waits to reopen or resend. */
  #health(): HealthReport {
    if (this.#state !== 'running' && !this.#reloading) return { status: this.#state };
    const failing = this.stats()
      .filter((s) => s.kind === 'destination' && s.suspended === 1)
      .map((s) => s.persistName);
    return failing.length === 0 ? { status: 'ok' } : { status: 'failing', failing };
  }

  #applyLogOptions(plan: Plan): void {
    this.#hub.level = plan.logLevel;
    if (plan.logToStderr && !this.#removeStderr) this.#removeStderr = this.#hub.addSink(stderrSink);
    if (!plan.logToStderr && this.#removeStderr) {
      this.#removeStderr();
      this.#removeStderr = undefined;
    }
  }

  async #build(plan: Plan, queues: Map<string, MessageQueue>): Promise<Built> {
    const destinations = new Map<string, DestinationDriver>();
    const sources = new Map<string, SourceDriver>();
    const inited: { c: PlannedComponent<unknown>; deinit: () => unknown }[] = [];
    const opened: MessageQueue[] = []; // queues created here, closed again if the build fails
    const unregister = [...plan.sources, ...plan.destinations].map((c) =>
      registerStateDir(c.persistName, plan.stateDir),
    );
    try {
      for (const c of plan.destinations) {
        const inst = new (c.cls as new () => LogDestination<unknown>)();
        const counters = new Counters('destination', c.name, c.persistName);
        const running = queues.get(c.persistName);
        const queue = queueFor(c, running, counters, this.#hub.logger(c.persistName));
        if (queue !== running) opened.push(queue);
        await this.#init(c, inst);
        inited.push({ c, deinit: () => inst.deinit() });
        destinations.set(
          c.name,
          new DestinationDriver(c.name, inst, c.driver, queue, counters, inst.logger),
        );
      }
      for (const c of plan.destinations) {
        if (c.fallback) destinations.get(c.name)!.fallback = destinations.get(c.fallback);
      }
      for (const c of plan.sources) {
        const inst = new (c.cls as new () => LogSource<unknown>)();
        const routes: Route[] = plan.logPaths
          .filter((p) => p.sources.includes(c.name))
          .map((p) => ({
            filter: p.filter,
            rewrite: p.rewrite,
            flowControl: p.flowControl,
            destinations: p.destinations.map((n) => destinations.get(n)!),
          }));
        const counters = new Counters('source', c.name, c.persistName);
        inst.persistName = c.persistName;
        inst.logger = this.#hub.logger(c.persistName);
        // Bound before init() so that init() may already call setTransportName().
        sources.set(
          c.name,
          new SourceDriver(c.name, inst, c.driver, routes, counters, inst.logger),
        );
        if (inst instanceof InternalSource) inst._attachHub(this.#hub, routes);
        await this.#init(c, inst);
        inited.push({ c, deinit: () => inst.deinit() });
      }
    } catch (err) {
      for (const { c, deinit } of inited.reverse()) {
        try {
          await deinit();
        } catch (e) {
          this.#log.error(`${c.kind} "${c.name}" deinit() threw while undoing a failed start`, e);
        }
      }
      for (const q of opened) {
        await q.close().catch((e: unknown) => this.#log.error('closing a queue threw', e));
      }
      for (const u of unregister) u();
      throw err;
    }
    return { plan, unregister, sources, destinations };
  }

  async #init(
    c: PlannedComponent<unknown>,
    inst: LogSource<unknown> | LogDestination<unknown>,
  ): Promise<void> {
    inst.persistName = c.persistName;
    inst.logger = this.#hub.logger(c.persistName);
    let result: unknown;
    try {
      result = await inst.init(c.options);
    } catch (err) {
      const why = err instanceof Error ? err.message : show(err); // init() may throw anything
      throw new LifecycleError(`${c.kind} "${c.name}" (${c.persistName}): init() failed: ${why}`, {
        cause: err,
        code: ErrorCode.INIT_FAILED,
      });
    }
    if (result === false) {
      throw new LifecycleError(`${c.kind} "${c.name}" (${c.persistName}): init() returned false`, {
        code: ErrorCode.INIT_FAILED,
      });
    }
  }

  #launch(b: Built): void {
    for (const d of b.destinations.values()) d.start();
    for (const s of b.sources.values()) s.start();
  }

  /** Stops `b`; destinations whose persist name is in `handover` keep their queue for the next build. */
  async #teardown(b: Built, handover: Set<string>): Promise<void> {
    const deadline = Date.now() + b.plan.stopTimeout;
    const left = (): number => Math.max(0, deadline - Date.now());
    await Promise.all([...b.sources.values()].map((s) => s.stop(left())));
    await Promise.all(
      [...b.destinations.values()].map((d) => d.stop(left(), handover.has(d.counters.persistName))),
    );
    await Promise.all([...b.sources.values()].map((s) => s.deinit()));
    for (const u of b.unregister) u();
  }
}
