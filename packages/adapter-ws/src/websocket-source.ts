import {
  Server as HttpServer,
  createServer as createHttpServer,
  type IncomingMessage,
} from 'node:http';
import { Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  InstantAckTracker,
  LogSource,
  type AckStatus,
  type LogMessage,
  type Logger,
} from '@logpath/core';
import { WebSocketServer } from 'ws';
import type { AckBookmark } from './internal/ack-protocol.js';
import { CLOSE_GOING_AWAY, Connection, type ConnectionHost } from './internal/connection.js';
import { Heartbeat } from './internal/heartbeat.js';
import {
  resolveSourceOptions,
  type SourceConfig,
  type WebSocketSourceOptions,
} from './internal/source-options.js';
import { parseRequestUrl, refuseUpgrade } from './internal/upgrade.js';

export {
  DEFAULT_WEBSOCKET_SOURCE_OPTIONS,
  type WebSocketSourceOptions,
  type WebSocketTlsOptions,
  type WebSocketAckMode,
} from './internal/source-options.js';

/** How long closing handshakes may take at exit before sockets are destroyed, in ms. */
const CLOSE_HANDSHAKE_GRACE = 1000;

function onAck(bookmark: unknown, status: AckStatus): void {
  (bookmark as AckBookmark).settle(status);
}

/**
 * A WebSocket server as a log source (transport `ws`, or `wss` with TLS).
 * Each data frame becomes one batch of messages (per `format`), carrying
 * `WS.CONNECTION_ID`, SOURCEIP, SOURCEPORT, the `headers` asked for
 * (`WS.HEADERS.<name>`) and the upgrade request's query parameters
 * (`WS.QUERY.<name>`).
 *
 * - Upgrades are authenticated (`auth`) before the WebSocket opens; refused
 *   ones get HTTP 401 (503 beyond `maxConnections` or while exiting).
 * - Backpressure: while the pipeline is suspended every socket is paused, so
 *   the TCP window pushes back on clients; no frame is dropped or refused.
 * - With `ack`, clients get `{"ack": id}` / `{"nack": id, "reason"}` replies
 *   once their data is delivered (see the README for the protocol).
 * - Bad input: oversize frames close with 1009, malformed JSON with 1007,
 *   binary frames with 1003 — or a nack naming the problem when acks are on.
 * - Exit: connections are closed with 1001 once their pending acks are sent
 *   (bounded by `closeTimeout`), then the server closes and `run()` resolves.
 *
 * @example
 * sources: { ws: { class: WebSocketSource, options: { port: 8081, format: 'ndjson', ack: 'batch' } } }
 */
export class WebSocketSource extends LogSource<WebSocketSourceOptions> {
  /** The bound port once listening (the attached server's port with `server`); 0 before. */
  port = 0;
  #cfg: SourceConfig | undefined;
  #wss: WebSocketServer | undefined;
  #server: HttpServer | undefined;
  #ownServer = false;
  readonly #connections = new Set<Connection>();
  #upgrading = 0;
  #suspended = false;
  #exiting = false;
  #noneOpen: (() => void) | undefined;
  #listenWaiters: ((port: number) => void)[] = [];
  #transport = 'ws';
  readonly #host: ConnectionHost;

  constructor() {
    super();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host object forwards to this source
    const self = this;
    this.#host = {
      get cfg(): SourceConfig {
        return self.#cfg!;
      },
      get logger(): Logger {
        return self.logger;
      },
      get transport(): string {
        return self.#transport;
      },
      post: (msg: LogMessage) => this.postMessage(msg),
      postMany: (msgs: readonly LogMessage[]) => this.postMessages(msgs),
      closeBatch: () => this.closeBatch(),
      closed: (conn) => {
        this.#connections.delete(conn);
        if (this.#connections.size === 0) this.#noneOpen?.();
      },
      settledAll: (conn) => conn.close(CLOSE_GOING_AWAY, 'server shutting down'),
    };
  }

  /**
   * Validates the options; sets up acknowledgements when `ack` is not `none`.
   * @throws ConfigError (ERR_INVALID_OPTION) naming every invalid option.
   */
  override init(options: WebSocketSourceOptions): void {
    const cfg = resolveSourceOptions(options);
    this.#cfg = cfg;
    this.autoCloseBatches = false; // a frame is a batch
    if (cfg.ack !== 'none') this.ackTracker = new InstantAckTracker(onAck);
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Resolves with the bound port once the source accepts connections. */
  whenListening(): Promise<number> {
    if (this.port !== 0) return Promise.resolve(this.port);
    return new Promise((resolve) => this.#listenWaiters.push(resolve));
  }

  /** Listens (or attaches to `server`) and serves until exit is requested. */
  override async run(): Promise<void> {
    const cfg = this.#cfg!;
    const attached: unknown =
      typeof cfg.server === 'function' ? await orAbort(cfg.server(), this.signal) : cfg.server;
    if (this.signal.aborted) return;
    if (
      cfg.server !== undefined &&
      !(attached instanceof HttpServer || attached instanceof HttpsServer)
    ) {
      throw new TypeError('options.server() must return an http.Server or https.Server');
    }
    this.#transport = cfg.secure || attached instanceof HttpsServer ? 'wss' : 'ws';
    this.setTransportName(this.#transport);
    this.#exiting = false;
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: cfg.maxPayload,
      perMessageDeflate: cfg.perMessageDeflate,
    });
    this.#wss = wss;
    const own = attached === undefined;
    const server = (attached as HttpServer | undefined) ?? this.#createServer(cfg);
    this.#server = server;
    this.#ownServer = own;
    server.on('upgrade', this.#onUpgrade);
    const heartbeat = new Heartbeat(cfg.pingInterval, cfg.pingTimeout, this.#connections, (c) => {
      this.logger.info(
        `terminating connection ${c.id} from ${c.ip}: no pong within ${cfg.pingTimeout} ms`,
      );
      c.closing = true;
      c.ws.terminate();
    });
    try {
      if (own) await listen(server, cfg.port, cfg.host);
      this.#trackPort(server);
      if (this.port !== 0) {
        const scheme = cfg.secure || server instanceof HttpsServer ? 'wss' : 'ws';
        this.logger.info(
          `listening on ${scheme}://${cfg.host ?? '*'}:${this.port}${cfg.path ?? '/'}`,
        );
      }
      heartbeat.start();
      await new Promise<void>((resolve) => {
        if (this.signal.aborted) resolve();
        else this.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await this.#closeConnections(cfg);
    } finally {
      server.off('upgrade', this.#onUpgrade);
      heartbeat.stop();
      for (const c of this.#connections) c.ws.terminate();
      this.#connections.clear();
      wss.close();
      if (own) await closeServer(server);
      this.port = own ? 0 : this.port;
    }
  }

  /**
   * Stops accepting connections; `run()` then closes every connection with
   * 1001 once its pending acknowledgements are sent, closes the server and
   * resolves. Frames already read were posted (and their batch closed) when
   * they arrived.
   */
  override requestExit(): void {
    this.#exiting = true;
  }

  /** Flow control: stop reading from every socket. */
  override suspend(): void {
    this.#suspended = true;
    for (const c of this.#connections) if (!c.closing) c.pause();
  }

  /** Flow control: read again. */
  override wakeup(): void {
    this.#suspended = false;
    for (const c of this.#connections) if (c.paused) c.resume();
  }

  #createServer(cfg: SourceConfig): HttpServer {
    // Node checks these timeouts only every connectionsCheckingInterval (30 s by
    // default): check four times per timeout so a slow client is cut off in time.
    const timeouts = {
      headersTimeout: cfg.headersTimeout,
      requestTimeout: cfg.headersTimeout,
      connectionsCheckingInterval:
        cfg.headersTimeout === 0 ? 30_000 : Math.min(30_000, Math.max(100, cfg.headersTimeout / 4)),
    };
    const server = cfg.tls
      ? createHttpsServer({
          ...timeouts,
          key: cfg.tls.key,
          cert: cfg.tls.cert,
          ca: cfg.tls.ca,
          requestCert: cfg.tls.requestClientCert === true,
          rejectUnauthorized: cfg.tls.requestClientCert === true,
        })
      : createHttpServer(timeouts);
    server.on('request', (_req, res) => {
      res.writeHead(426, {
        'Content-Type': 'application/json',
        Upgrade: 'websocket',
        Connection: 'close',
      });
      res.end(JSON.stringify({ error: 'this endpoint only accepts WebSocket upgrades' }));
    });
    server.on('clientError', (_err, socket: Duplex) => socket.destroy());
    return server as HttpServer;
  }

  #trackPort(server: HttpServer): void {
    const set = (): void => {
      this.port = (server.address() as AddressInfo | null)?.port ?? 0;
      const w = this.#listenWaiters;
      this.#listenWaiters = [];
      for (const resolve of w) resolve(this.port);
    };
    if (server.listening) set();
    else server.once('listening', set);
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const cfg = this.#cfg!;
    socket.on('error', () => socket.destroy());
    const { pathname, query } = parseRequestUrl(req);
    if (cfg.path !== undefined && pathname !== cfg.path) {
      // On a shared server another 'upgrade' listener may own this path.
      if (this.#ownServer || this.#server!.listenerCount('upgrade') === 1) {
        refuseUpgrade(socket, 404, `no WebSocket endpoint at ${pathname}`);
      }
      return;
    }
    if (this.#exiting) return refuseUpgrade(socket, 503, 'the server is shutting down');
    if (this.#connections.size + this.#upgrading >= cfg.maxConnections) {
      return refuseUpgrade(
        socket,
        503,
        `too many connections (maxConnections=${cfg.maxConnections})`,
        { 'Retry-After': '1' },
      );
    }
    const auth = cfg.auth;
    if (auth === undefined) return this.#accept(req, socket, head, query);
    this.#upgrading++;
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = auth.verify(req, query);
    } catch (err) {
      verdict = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const decide = (ok: boolean): void => {
      this.#upgrading--;
      if (ok === true) return this.#accept(req, socket, head, query);
      this.logger.info(
        `refused an upgrade from ${req.socket.remoteAddress ?? '?'}: missing or invalid credentials`,
      );
      refuseUpgrade(
        socket,
        401,
        'missing or invalid credentials',
        auth.challenge ? { 'WWW-Authenticate': auth.challenge } : {},
      );
    };
    if (typeof verdict === 'boolean') return decide(verdict);
    verdict.then(decide, (err: unknown) => {
      this.#upgrading--;
      this.logger.error('the auth function threw; the upgrade is refused', err);
      refuseUpgrade(socket, 500, 'authentication failed on the server');
    });
  };

  #accept(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void {
    if (socket.destroyed) return;
    if (this.#exiting || this.#wss === undefined)
      return refuseUpgrade(socket, 503, 'the server is shutting down');
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ws, req, query, this.#host);
      this.#connections.add(conn);
      if (this.#suspended) conn.pause();
      this.logger.debug(`connection ${conn.id} from ${conn.ip}`);
    });
  }

  /** Exit: 1001 for every connection once it owes no acknowledgement (or at closeTimeout), then wait for the handshakes. */
  async #closeConnections(cfg: SourceConfig): Promise<void> {
    this.#exiting = true;
    if (this.#connections.size === 0) return;
    const allClosed = new Promise<void>((resolve) => (this.#noneOpen = resolve));
    for (const c of this.#connections) {
      if (cfg.ack === 'none' || c.owed === 0) c.close(CLOSE_GOING_AWAY, 'server shutting down');
      else c.closing = true; // read no more frames; closed by settledAll once its replies are out
    }
    if (!(await within(allClosed, cfg.closeTimeout))) {
      for (const c of this.#connections) {
        if (c.ws.readyState === c.ws.OPEN) {
          this.logger.warn(
            `closing connection ${c.id} with ${c.owed} acknowledgements still pending after closeTimeout`,
          );
          c.close(CLOSE_GOING_AWAY, 'server shutting down');
        }
      }
      await within(allClosed, CLOSE_HANDSHAKE_GRACE);
    }
    this.#noneOpen = undefined;
  }
}

/** `p`, or undefined as soon as `signal` aborts (exit must not wait for a server that never comes). */
function orAbort<T>(p: T | Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(p).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

function listen(server: HttpServer, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
