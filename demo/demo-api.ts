import { createServer, type Server } from 'node:http';

/** A running {@link startDemoApi} server. */
export interface DemoApi {
  /** URL of the events endpoint, with the bound port. */
  readonly url: string;
  readonly port: number;
  /** Stops the server and the event generator. */
  close(): Promise<void>;
}

/** Options of {@link startDemoApi}. */
export interface DemoApiOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** A new event this often, in ms. Default 1000. */
  intervalMs?: number;
  /** Most events per page. Default 20. */
  pageSize?: number;
}

/** One event of the demo API. */
export interface DemoEvent {
  /** Increasing id: the event's time in ms (bumped to stay unique), so a cursor survives a restart of the API. */
  id: number;
  time: string;
  type: string;
  user: string;
  amount?: number;
}

const TYPES = ['order.created', 'order.paid', 'user.login', 'order.shipped', 'user.logout'];
const USERS = ['alice', 'bob', 'carol', 'dave'];
/** Events kept in memory; older ones are gone for a poller that lags further behind. */
const KEEP = 10_000;

/**
 * A tiny paged events API of the kind a poller reads (node:http, no
 * framework): `GET /events?after=<id>` answers
 * `{"data":[event…],"next":"<last id>"}` with the events newer than `after`,
 * oldest first, at most `pageSize`; `next` is `after` itself when there is
 * nothing new. It starts with three events and adds one every `intervalMs`.
 *
 * Its server and connections are unref'd: it never keeps the process alive
 * on its own, so the demo exits as soon as the pipeline has stopped.
 */
export async function startDemoApi(options: DemoApiOptions = {}): Promise<DemoApi> {
  const host = options.host ?? '127.0.0.1';
  const pageSize = options.pageSize ?? 20;
  const events: DemoEvent[] = [];
  let n = 0;
  const add = (): void => {
    const last = events.at(-1)?.id ?? 0;
    const id = Math.max(Date.now(), last + 1);
    const type = TYPES[n % TYPES.length]!;
    const event: DemoEvent = {
      id,
      time: new Date(id).toISOString(),
      type,
      user: USERS[n % USERS.length]!,
    };
    if (type.startsWith('order.')) event.amount = 10 + ((n * 37) % 90);
    n++;
    events.push(event);
    if (events.length > KEEP) events.splice(0, events.length - KEEP);
  };
  for (let i = 0; i < 3; i++) add();
  const timer = setInterval(add, options.intervalMs ?? 1000).unref();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    if (req.method !== 'GET' || url.pathname !== '/events') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const afterText = url.searchParams.get('after') ?? '0';
    const after = Number(afterText);
    if (!Number.isFinite(after)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad after"}');
      return;
    }
    const data = events.filter((e) => e.id > after).slice(0, pageSize);
    const next = data.length > 0 ? String(data.at(-1)!.id) : afterText;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, next }));
  });
  server.on('connection', (socket) => socket.unref());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  server.unref();
  const port = (server.address() as { port: number }).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/events`,
    port,
    close: async () => {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

let shared: Promise<DemoApi> | undefined;

/**
 * The process's one demo API, started at the first call with `options`
 * (later calls get the same one): the config file calls it at every reload,
 * and a second server could not bind the same port.
 */
export function sharedDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  shared ??= startDemoApi(options);
  return shared;
}
