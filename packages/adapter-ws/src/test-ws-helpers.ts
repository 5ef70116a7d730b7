/**
 * Test helpers: real ws clients against real servers, with events awaited
 * (never slept on). Not part of the build.
 */
import { startSource, type SourceHarness, type StartSourceOptions } from '@logpath/core/testing';
import { WebSocket, type ClientOptions } from 'ws';
import { WebSocketSource, type WebSocketSourceOptions } from './websocket-source.js';

/** A started WebSocketSource in a capture pipeline, with its URL. */
export interface WsHarness extends SourceHarness<WebSocketSourceOptions> {
  readonly ws: WebSocketSource;
  readonly url: string;
}

/** Starts a WebSocketSource (port 0 unless `server` is given) and waits until it listens. */
export async function startWs(
  options: WebSocketSourceOptions,
  harness: Omit<StartSourceOptions<WebSocketSourceOptions>, 'options'> = {},
  scheme = 'ws',
): Promise<WsHarness> {
  const opts =
    options.server === undefined && options.port === undefined ? { ...options, port: 0 } : options;
  const h = await startSource(WebSocketSource, { ...harness, options: opts });
  const ws = h.source as WebSocketSource;
  const port = await ws.whenListening();
  return Object.assign(h, { ws, url: `${scheme}://127.0.0.1:${port}${options.path ?? '/'}` });
}

/** Opens a client; rejects with the refusal (e.g. "Unexpected server response: 401"). */
export function connect(url: string, options: ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The HTTP status with which an upgrade is refused. */
export function refusedStatus(url: string, options: ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason the client sees. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: 1006, reason: '' });
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** Collects the JSON replies a client receives. */
export function replies(ws: WebSocket): {
  readonly list: Record<string, unknown>[];
  waitFor(n: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
} {
  const list: Record<string, unknown>[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  ws.on('message', (data: Buffer) => {
    list.push(JSON.parse(data.toString()) as Record<string, unknown>);
    waiters = waiters.filter((w) => (list.length >= w.n ? (w.resolve(), false) : true));
  });
  return {
    list,
    waitFor(n, timeoutMs = 10_000) {
      if (list.length >= n) return Promise.resolve(list);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`got ${list.length} replies of ${n}: ${JSON.stringify(list)}`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(list);
          },
        });
      });
    },
  };
}

/** Resolves once the frame has been written to the socket. */
export function sendFrame(ws: WebSocket, data: string | Buffer, binary = false): Promise<void> {
  return new Promise((resolve, reject) =>
    ws.send(data, { binary }, (err) => (err ? reject(err) : resolve())),
  );
}
