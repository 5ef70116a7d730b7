/**
 * One port for two sources: a WebSocketSource attached to an HttpSource's
 * server (the function form of its `server` option waits until the HttpSource
 * listens), both feeding one capture destination. A JSON POST and a WebSocket
 * frame sent to the same port must both arrive, and stopping must release it.
 */
import { request } from 'node:http';
import { Pipeline, defineConfig } from '@logpath/core';
import { CaptureDestination } from '@logpath/core/testing';
import { HttpSource } from '@logpath/adapter-http';
import { WebSocketSource } from '@logpath/adapter-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** Posts `body` and resolves with the status. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Opens a client and sends one frame; resolves once it is written. */
async function sendFrame(url: string, frame: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) =>
    ws.send(frame, (err) => (err ? reject(err) : resolve())),
  );
  return ws;
}

describe('WebSocketSource on an HttpSource server', () => {
  it('shares the port: a POST and a WebSocket frame both arrive', async () => {
    const p = new Pipeline(
      defineConfig({
        sources: {
          web: { class: HttpSource, options: { host: '127.0.0.1', port: 0, path: '/ingest' } },
          live: {
            class: WebSocketSource,
            options: {
              path: '/ws',
              format: 'json',
              // Called in run(): waits for the HttpSource, which listens in its own run().
              server: async () => {
                const web = p.component('web') as HttpSource;
                await web.whenListening();
                return web.server!;
              },
            },
          },
        },
        destinations: { capture: { class: CaptureDestination } },
        logPaths: [{ sources: ['web', 'live'], destinations: ['capture'] }],
        log: { stderr: false },
      }),
    );
    pipeline = p;
    await p.start();
    const web = p.component('web') as HttpSource;
    const live = p.component('live') as WebSocketSource;
    const port = await web.whenListening();
    expect(await live.whenListening()).toBe(port);

    expect(await post(`http://127.0.0.1:${port}/ingest`, '{"message":"over http"}\n')).toBe(202);
    const client = await sendFrame(`ws://127.0.0.1:${port}/ws`, '{"message":"over ws"}');

    const capture = p.component('capture') as CaptureDestination;
    await capture.waitFor(2);
    const got = capture.messages.map((m) => [m.getAsString('MESSAGE'), m.get('TRANSPORT')]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['over http', 'http'],
        ['over ws', 'ws'],
      ]),
    );
    expect(got).toHaveLength(2);

    const server = web.server!;
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await p.stop();
    await clientClosed;
    expect(server.listening).toBe(false);
    expect(web.server).toBeUndefined();
  });
});
