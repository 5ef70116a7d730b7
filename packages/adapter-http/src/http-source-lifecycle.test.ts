import { createServer, request, Agent, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Pipeline, defineConfig } from '@logpath/core';
import { CaptureDestination, startSource, type SourceHarness } from '@logpath/core/testing';
import express, { type Express } from 'express';
import { afterEach, describe, it, expect, vi } from 'vitest';
import { HttpSource } from './http-source.js';
import type { HttpSourceOptions } from './http-source-options.js';
import { post, send } from './test-http.js';

let harness: SourceHarness<HttpSourceOptions> | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: HttpSourceOptions = {}, cls: typeof HttpSource = HttpSource) {
  harness = await startSource(cls, { options: { host: '127.0.0.1', port: 0, ...options } });
  const src = harness.source as HttpSource;
  const port = await src.whenListening();
  return { h: harness, src, port, base: `http://127.0.0.1:${port}` };
}

/** A source that tells when a request has reached its app (so the server is reading it). */
function observed(): { Observed: typeof HttpSource; reached: Promise<void> } {
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  class Observed extends HttpSource {
    protected override routes(app: Express): void {
      app.use((_req, _res, next) => {
        arrived();
        next();
      });
    }
  }
  return { Observed, reached };
}

describe('HttpSource requestExit', () => {
  it('closes idle keep-alive connections at once instead of waiting for shutdownTimeout', async () => {
    const { h, base } = await start({ shutdownTimeout: 60_000, keepAliveTimeout: 60_000 });
    const agent = new Agent({ keepAlive: true });
    expect(
      (
        await send(`${base}/`, {
          method: 'POST',
          body: 'x',
          headers: { 'content-type': 'text/plain' },
          agent,
        })
      ).status,
    ).toBe(202);
    const socket = Object.values(agent.freeSockets)[0]![0]!;
    const closed = once(socket, 'close');
    await h.stop(); // would hang for a minute if the idle socket kept the server open
    await closed;
    expect(h.logs.some((l) => l.message.includes('shutdownTimeout'))).toBe(false);
    agent.destroy();
  });

  it('lets an in-flight request finish (answered with Connection: close) and refuses new connections', async () => {
    const { Observed, reached } = observed();
    const { h, src, port } = await start({ shutdownTimeout: 60_000 }, Observed);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '10' },
    });
    const answered = once(req, 'response');
    req.write('first ');
    await reached; // the server is now reading this request's body
    const stopping = h.stop();
    await vi.waitFor(() => expect(src.exitRequested).toBe(true));
    await expect(post(`http://127.0.0.1:${port}/`, 'late', 'text/plain')).rejects.toThrow(
      /ECONNREFUSED/,
    );
    req.end('line');
    const [res] = (await answered) as [IncomingMessage];
    expect(res.statusCode).toBe(202);
    expect(res.headers.connection).toBe('close');
    res.resume();
    await stopping;
    expect(h.messages.map((m) => m.get('MESSAGE'))).toEqual(['first line']);
  });

  it('bounds the wait: a stalled upload is cut off after shutdownTimeout and nothing of it is posted', async () => {
    const { Observed, reached } = observed();
    const { h, port } = await start({ shutdownTimeout: 100 }, Observed);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': '100' },
    });
    const cut = once(req, 'error'); // the server cuts the connection
    req.write('partial line\n');
    await reached;
    await h.stop();
    await cut;
    expect(h.logs.some((l) => l.message.includes('shutdownTimeout (100 ms)'))).toBe(true);
    expect(h.messages).toHaveLength(0);
    req.destroy();
  });
});

describe('HttpSource server', () => {
  it('is the listening server while it runs (to share the port), undefined before and after', async () => {
    expect(new HttpSource().server).toBeUndefined();
    const { h, src, port } = await start();
    const server = src.server;
    expect(server?.listening).toBe(true);
    expect((server!.address() as AddressInfo).port).toBe(port);
    await h.stop();
    expect(src.server).toBeUndefined();
    expect(server!.listening).toBe(false);
  });
});

describe('HttpSource subclassing', () => {
  it('routes(app) adds routes and middleware in front of the ingest route', async () => {
    class WithRoutes extends HttpSource {
      protected override routes(app: Express): void {
        app.get('/version', (_req, res) => void res.json({ version: '1.2.3' }));
        app.use((req, res, next) => {
          res.setHeader('x-served-by', 'custom');
          next();
        });
      }
    }
    const { h, base } = await start({}, WithRoutes);
    expect((await send(`${base}/version`)).json).toEqual({ version: '1.2.3' });
    const r = await post(`${base}/`, 'hello', 'text/plain');
    expect(r.status).toBe(202);
    expect(r.headers['x-served-by']).toBe('custom');
    expect((await h.waitFor(1))[0]!.get('MESSAGE')).toBe('hello');
  });

  it('listen: false serves `handler` from an existing Express app, across the source lifecycle', async () => {
    const app = express();
    let live: HttpSource | undefined;
    // One stable mount point: a reload replaces the source instance, the app keeps this route.
    app.use('/logs', (req, res, next) => (live ? live.handler(req, res, next) : next()));
    app.get('/', (_req, res) => void res.send('home'));
    class MountedSource extends HttpSource {
      override async run(): Promise<void> {
        live = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the app dispatches to the running instance
        try {
          await super.run();
        } finally {
          if (live === this) live = undefined;
        }
      }
    }
    const server: Server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pipeline = new Pipeline(
      defineConfig({
        sources: { web: { class: MountedSource, options: { listen: false, path: '/:stream' } } },
        destinations: { capture: { class: CaptureDestination } },
        logPaths: [{ sources: ['web'], destinations: ['capture'] }],
        log: { stderr: false },
      }),
    );
    try {
      await pipeline.start();
      await vi.waitFor(() => expect(live).toBeDefined());
      await expect(live!.whenListening()).rejects.toThrow(/listen is false/);
      expect(live!.server).toBeUndefined();
      const r = await post(`${base}/logs/audit`, '{"message":"mounted"}', 'application/json');
      expect(r.status).toBe(202);
      expect((await send(`${base}/logs/health`)).json).toEqual({ status: 'ok' });
      expect((await send(`${base}/`)).text).toBe('home');
      const capture = pipeline.component('capture') as CaptureDestination;
      await capture.waitFor(1);
      expect(capture.messages[0]!.get('HTTP.PARAMS.stream')).toBe('audit');
      expect(capture.messages[0]!.get('HTTP.PATH')).toBe('/logs/audit');
      await pipeline.stop();
      expect(live).toBeUndefined();
      expect((await post(`${base}/logs/audit`, 'x', 'text/plain')).status).toBe(404); // the app's own 404 again
    } finally {
      await pipeline.stop();
      server.close();
    }
  });
});
