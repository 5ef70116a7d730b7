import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineConfig } from '../config.js';
import { ConfigError, LifecycleError } from '../errors.js';
import { LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import { Pipeline } from '../pipeline.js';
import { CaptureDestination } from '../testing/index.js';
import { ManualSource } from './test-helpers.js';

/** Drops every message. */
class Dropper extends LogDestination {
  override send(): 0 {
    return this.DROP;
  }
}

/** Holds each send() until the test releases it. */
class Gate extends LogDestination {
  #release: (() => void) | undefined;
  waiting = false;
  override send(_msg: LogMessage): Promise<3> {
    this.waiting = true;
    return new Promise((resolve) => (this.#release = () => resolve(this.SUCCESS)));
  }
  release(): void {
    this.waiting = false;
    this.#release?.();
  }
}

/** Never opens. */
class Closed extends LogDestination {
  override open(): boolean {
    return false;
  }
  override send(): 3 {
    return this.SUCCESS;
  }
}

let running: Pipeline[] = [];

function config(extra: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    sources: { src: { class: ManualSource } },
    destinations: { out: { class: CaptureDestination }, bin: { class: Dropper } },
    logPaths: [{ sources: ['src'], destinations: ['out', 'bin'] }],
    log: { stderr: false },
    metrics: { port: 0 },
    stopTimeout: 5000,
    ...extra,
  };
}

async function start(cfg: PipelineConfig): Promise<Pipeline> {
  const p = new Pipeline(cfg);
  running.push(p);
  await p.start();
  return p;
}

async function get(p: Pipeline, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${p.metricsPort}${path}`);
}

/** Parses Prometheus text into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function scrape(p: Pipeline, path = '/metrics'): Promise<Map<string, number>> {
  const res = await get(p, path);
  expect(res.status).toBe(200);
  return parse(await res.text());
}

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

describe('metrics endpoint', () => {
  it('logs the bound address, so port 0 can be found from the log', async () => {
    const lines: string[] = [];
    const p = new Pipeline(config({ metrics: { port: 0, path: '/m' } }), {
      logSink: (r) => lines.push(r.message),
    });
    running.push(p);
    await p.start();
    expect(lines).toContain(`metrics on http://127.0.0.1:${p.metricsPort}/m`);
  });

  it('serves every counter of pipeline.stats() in Prometheus text format', async () => {
    const p = await start(config());
    expect(p.metricsPort).toBeGreaterThan(0);
    (p.component('src') as ManualSource).post('a', 'b', 'c');
    await (p.component('out') as CaptureDestination).waitFor(3);
    await vi.waitFor(() =>
      expect(p.stats().find((s) => s.name === 'bin')?.dropped).toEqual({ 'destination-drop': 3 }),
    );

    const res = await get(p, '/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parse(await res.text());
    const src = '{component="source.src",kind="source"}';
    const out = '{component="destination.out",kind="destination"}';
    const bin = '{component="destination.bin",kind="destination"}';
    expect(m.get(`logpath_messages_received_total${src}`)).toBe(3);
    expect(m.get(`logpath_messages_posted_total${src}`)).toBe(3);
    expect(m.get(`logpath_component_suspended${src}`)).toBe(0);
    expect(m.get(`logpath_messages_received_total${out}`)).toBe(3);
    expect(m.get(`logpath_messages_delivered_total${out}`)).toBe(3);
    expect(m.get(`logpath_queue_messages${out}`)).toBe(0);
    expect(m.get(`logpath_messages_retried_total${out}`)).toBe(0);
    expect(m.get(`logpath_messages_fallback_total${out}`)).toBe(0);
    expect(m.get(`logpath_errors_total${out}`)).toBe(0);
    expect(m.get(`logpath_bytes_total${out}`)).toBeGreaterThan(0);
    expect(
      m.get(
        'logpath_messages_dropped_total{component="destination.bin",kind="destination",reason="destination-drop"}',
      ),
    ).toBe(3);
    expect(m.get(`logpath_messages_delivered_total${bin}`)).toBe(0);
    // Destination-only series are not invented for sources.
    expect(m.has(`logpath_messages_delivered_total${src}`)).toBe(false);
    // Process metrics, in the private registry with the logpath_ prefix.
    expect(m.get('logpath_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect([...m.keys()].some((k) => k.startsWith('logpath_nodejs_heap_size_total_bytes'))).toBe(
      true,
    );
  });

  it('reads the counters at every scrape', async () => {
    const p = await start(config());
    const key = 'logpath_messages_received_total{component="source.src",kind="source"}';
    expect((await scrape(p)).get(key)).toBe(0);
    (p.component('src') as ManualSource).post('a');
    expect((await scrape(p)).get(key)).toBe(1);
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const p = await start(config());
    expect((await get(p, '/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('keeps its port across reload() and follows a new path', async () => {
    const p = await start(config());
    const port = p.metricsPort;
    await p.reload(
      config({
        destinations: {
          out: { class: CaptureDestination },
          bin: { class: Dropper, persistName: 'bin2' },
        },
        metrics: { port: 0, path: '/m' },
      }),
    );
    expect(p.metricsPort).toBe(port);
    expect((await get(p, '/metrics')).status).toBe(404);
    const m = await scrape(p, '/m');
    expect(m.has('logpath_messages_received_total{component="bin2",kind="destination"}')).toBe(
      true,
    );
    expect(
      m.has('logpath_messages_received_total{component="destination.bin",kind="destination"}'),
    ).toBe(false);
  });

  it('rejects a reload whose new port is taken, and keeps serving on the old one', async () => {
    const other = await start(config());
    const p = await start(config());
    const port = p.metricsPort;
    await expect(p.reload(config({ metrics: { port: other.metricsPort! } }))).rejects.toThrow(
      /^metrics: cannot listen/,
    );
    expect(p.state).toBe('running');
    expect(p.metricsPort).toBe(port);
    expect((await get(p, '/health')).status).toBe(200);
  });

  it('moves to a new port, or closes, when a reload says so', async () => {
    // On the wildcard address the old port cannot be picked again while the old server is open.
    const p = await start(config({ metrics: { port: 0, host: '0.0.0.0' } }));
    const oldPort = p.metricsPort!;
    const oldUrl = `http://127.0.0.1:${oldPort}/health`;
    await p.reload(config());
    expect(p.metricsPort).toBeGreaterThan(0);
    expect(p.metricsPort).not.toBe(oldPort);
    expect((await get(p, '/health')).status).toBe(200);
    await expect(fetch(oldUrl)).rejects.toThrow();
    await p.reload(config({ metrics: undefined }));
    expect(p.metricsPort).toBeUndefined();
  });

  it('is closed by stop()', async () => {
    const p = await start(config());
    const url = `http://127.0.0.1:${p.metricsPort}/health`;
    await p.stop();
    expect(p.metricsPort).toBeUndefined();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('fails start() when the port is taken, leaving nothing running', async () => {
    const first = await start(config());
    const second = new Pipeline(config({ metrics: { port: first.metricsPort! } }));
    const err: unknown = await second.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifecycleError);
    expect((err as Error).message).toMatch(
      /^metrics: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
    expect(second.state).toBe('stopped');
    expect(second.component('src')).toBeUndefined();
  });
});

describe('/health', () => {
  it('answers 200 while running and 503 "stopping" while stop() drains', async () => {
    const p = await start(
      config({
        destinations: { out: { class: Gate } },
        logPaths: [{ sources: ['src'], destinations: ['out'] }],
      }),
    );
    const health = await get(p, '/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toBe('application/json');
    expect(await health.json()).toEqual({ status: 'ok' });

    const gate = p.component('out') as Gate;
    (p.component('src') as ManualSource).post('held');
    await vi.waitFor(() => expect(gate.waiting).toBe(true));
    const stopping = p.stop();
    const during = await get(p, '/health');
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({ status: 'stopping' });
    gate.release();
    await stopping;
  });

  it('stays 200 during a reload', async () => {
    const cfg = config({
      destinations: { out: { class: Gate } },
      logPaths: [{ sources: ['src'], destinations: ['out'] }],
    });
    const p = await start(cfg);
    const gate = p.component('out') as Gate;
    (p.component('src') as ManualSource).post('held');
    await vi.waitFor(() => expect(gate.waiting).toBe(true));
    const reloading = p.reload(cfg);
    await vi.waitFor(() => expect(p.state).toBe('stopping')); // the old build is being torn down
    const during = await get(p, '/health');
    expect(await during.json()).toEqual({ status: 'ok' });
    expect(during.status).toBe(200);
    gate.release();
    await reloading;
    expect(p.state).toBe('running');
  });

  it('answers 503 naming the destinations that fail', async () => {
    const p = await start(
      config({
        destinations: {
          out: { class: CaptureDestination },
          down: { class: Closed, timeReopen: 60_000 },
        },
        logPaths: [{ sources: ['src'], destinations: ['out', 'down'] }],
        stopTimeout: 0,
      }),
    );
    await vi.waitFor(async () => {
      const res = await get(p, '/health');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'failing', failing: ['destination.down'] });
    });
  });
});

describe('metrics config', () => {
  it.each([
    [{ port: 70_000 }, 'metrics.port must be an integer from 0 to 65535, got 70000'],
    [{ port: '9100' }, 'metrics.port must be an integer from 0 to 65535, got "9100"'],
    [{}, 'metrics.port must be an integer from 0 to 65535, got undefined'],
    [{ port: 0, host: '' }, 'metrics.host must be a non-empty string, got ""'],
    [{ port: 0, path: 'metrics' }, 'metrics.path must be a path starting with "/"'],
    [
      { port: 0, path: '/health' },
      'metrics.path must be a path starting with "/", other than "/health"',
    ],
    [{ port: 0, tls: true }, 'metrics: unknown option "tls"'],
    [9100, 'metrics must be an object with a "port", got 9100'],
  ])('rejects %j', async (metrics, message) => {
    const p = new Pipeline(config({ metrics: metrics as never }));
    const err: unknown = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.some((i) => i.startsWith(message))).toBe(true);
    expect(p.metricsPort).toBeUndefined();
  });
});
