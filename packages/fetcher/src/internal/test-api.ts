/**
 * Test fixture (not built): a local REST API of numbered events on port 0.
 *
 * - `GET /events?after=K` → `{ data: [items K…K+pageSize-1], next: "K+n" }`
 *   (a tailing cursor: `next` is always there, equal to K on an empty page).
 * - `GET /link?after=K` → a bare JSON array; `Link: <…?after=K+n>; rel="next"`
 *   only while more items exist (GitHub style).
 * - `GET /ndjson`, `GET /text` → every item, one a line.
 *
 * Every response carries an ETag of (position, total); `If-None-Match` with
 * it gets 304. `faults` are applied to the next requests, one each.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the API applies to one request. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop' } // destroy the socket before answering
  | { kind: 'drop-mid-body' } // send headers and half a body, then destroy
  | { kind: 'hang' }; // never answer

/** One request as the API saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly after: string | null;
  readonly at: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** What the API answered: a status, or the fault applied. */
  answer: number | Fault['kind'];
}

/** The running API. */
export interface TestApi {
  readonly url: string;
  /** Number of events that exist; raise it to append. */
  total: number;
  pageSize: number;
  readonly faults: Fault[];
  readonly requests: SeenRequest[];
  /** Called on every request before it is answered (e.g. to kill a client half-way). */
  onRequest: ((r: SeenRequest) => void) | undefined;
  /** Resolves once `n` requests have been answered. */
  until(n: number): Promise<void>;
  close(): Promise<void>;
}

/** The JSON item for event `i`. */
export function item(i: number): { id: number; msg: string } {
  return { id: i, msg: `event ${i}` };
}

/** Starts the API on 127.0.0.1, port 0. */
export async function startTestApi(
  options: { total?: number; pageSize?: number } = {},
): Promise<TestApi> {
  const hanging: ServerResponse[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const api: TestApi = {
    url: '',
    total: options.total ?? 0,
    pageSize: options.pageSize ?? 10,
    faults: [],
    requests: [],
    onRequest: undefined,
    until(n) {
      if (answered() >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const answered = (): number => api.requests.filter((r) => r.answer !== 0).length;
  const done = (seen: SeenRequest, answer: SeenRequest['answer']): void => {
    seen.answer = answer;
    const n = answered();
    waiters = waiters.filter((w) => (n >= w.n ? (w.resolve(), false) : true));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: u.pathname,
        after: u.searchParams.get('after'),
        at: Date.now(),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        answer: 0,
      };
      api.requests.push(seen);
      api.onRequest?.(seen);
      const fault = api.faults.shift();
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return done(seen, 'drop');
      }
      if (fault?.kind === 'hang') {
        hanging.push(res);
        return done(seen, 'hang');
      }
      if (fault?.kind === 'status') {
        if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`fault ${fault.status}`);
        return done(seen, fault.status);
      }
      const from = Math.max(0, Number(seen.after ?? 0));
      const whole = u.pathname === '/ndjson' || u.pathname === '/text';
      const to = whole ? api.total : Math.min(api.total, from + api.pageSize);
      const etag = `"${whole ? 0 : from}-${api.total}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return done(seen, 304);
      }
      const list = Array.from({ length: Math.max(0, to - from) }, (_, k) =>
        item((whole ? 0 : from) + k),
      );
      let body: string;
      const headers: Record<string, string> = { etag, 'content-type': 'application/json' };
      if (u.pathname === '/events') body = JSON.stringify({ data: list, next: String(to) });
      else if (u.pathname === '/link') {
        body = JSON.stringify(list);
        if (to < api.total)
          headers.link = `<${api.url}/link?after=${to}>; rel="next", <${api.url}/link?after=0>; rel="first"`;
      } else if (u.pathname === '/ndjson')
        body = list.map((x) => JSON.stringify(x) + '\n').join('');
      else if (u.pathname === '/text') body = list.map((x) => `${x.msg}\r\n`).join('');
      else {
        res.writeHead(404).end('no such path');
        return done(seen, 404);
      }
      if (fault?.kind === 'drop-mid-body') {
        res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
        res.write(body.slice(0, Math.floor(body.length / 2)), () => res.destroy());
        return done(seen, 'drop-mid-body');
      }
      res.writeHead(200, headers).end(body);
      done(seen, 200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (api as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
