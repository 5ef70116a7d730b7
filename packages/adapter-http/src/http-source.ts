import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InstantAckTracker,
  LifecycleError,
  LogSource,
  type AckStatus,
  type LogMessage,
} from '@logpath/core';
import express, {
  type Express,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { HttpSourceOptions, ResolvedHttpSourceOptions } from './http-source-options.js';
import { AcceptedAnswers } from './internal/accepted-answers.js';
import { createAuthenticator, type Authenticator } from './internal/auth.js';
import { HttpError } from './internal/http-error.js';
import {
  formatFromContentType,
  parseBody,
  type BodyFormat,
  type BodyLimits,
} from './internal/parse-body.js';
import { PendingDelivery, type DeliveryContext } from './internal/pending-delivery.js';
import { decompress, inflaterFor, readBody } from './internal/read-body.js';
import { collectFields, type FieldSpec } from './internal/request-fields.js';
import { resolveSourceOptions } from './internal/resolve-source-options.js';
import { closeServer, createServer, listen } from './internal/server.js';
import {
  answerJson,
  Cors,
  errorBody,
  hasLargeUnreadBody,
  notFound,
  retryAfterSeconds,
  routeErrorHandler,
  toHttpError,
} from './internal/respond.js';

/** What routes are added to: the app, or the router behind `handler`. */
interface RouteTarget {
  get(path: string, handler: RequestHandler): unknown;
  all(path: string, handler: RequestHandler): unknown;
}

/**
 * An Express 5 server as a source: each request is parsed whole (or refused
 * whole) and posted as one batch. Flow control answers 429/503 with
 * Retry-After; `respond: 'delivered'` answers only once every message of the
 * request is acknowledged.
 *
 * Extend it to add routes (override {@link routes}) or serve {@link handler}
 * from an Express app you run yourself (`listen: false`).
 *
 * @example
 * defineConfig({
 *   sources: { web: { class: HttpSource, options: { port: 8080, path: '/ingest/:tenant' } } },
 *   destinations: { out: { class: FileDestination, options: { path: 'out.ndjson' } } },
 *   logPaths: [{ sources: ['web'], destinations: ['out'] }],
 * });
 */
export class HttpSource extends LogSource<HttpSourceOptions> {
  /** The bound port once listening (useful with `port: 0`); 0 before. */
  port = 0;

  /**
   * The ingest routes as one Express handler (health, CORS preflight, ingest,
   * 405). Mount it in your own app with `listen: false`; requests that match
   * none of its routes go to `next()`.
   */
  readonly handler: RequestHandler = (req, res, next) => {
    const router = this.#router;
    if (router === undefined) return next();
    router(req, res, next);
  };

  #o: ResolvedHttpSourceOptions = resolveSourceOptions(undefined);
  #auth: Authenticator | undefined;
  #cors: Cors | undefined;
  #format: BodyFormat | undefined;
  #limits: BodyLimits = { maxLineBytes: 0, maxMessages: 0, messageField: 'message' };
  #spec: FieldSpec = { headers: [], trustProxy: false };
  #methods: ReadonlySet<string> = new Set();
  #delivery: DeliveryContext | undefined;
  /** Requests waiting for acks (`respond: 'delivered'`), answered 503 if shutdown cannot wait for them. */
  readonly #pending = new Set<PendingDelivery>();
  readonly #accepted = new AcceptedAnswers(() => this.#closing);
  #router: Router | undefined;
  #server: Server | undefined;
  #suspended = false;
  #closing = false;
  #running = false;
  #inflight = 0;
  #drained: (() => void) | undefined;
  #listening: { resolve: (port: number) => void; reject: (err: unknown) => void }[] = [];

  /**
   * Validates the options and prepares the routes.
   * @throws ConfigError (ERR_INVALID_OPTION) naming each invalid option.
   */
  override init(options: HttpSourceOptions): void {
    const o = resolveSourceOptions(options);
    this.#o = o;
    this.autoCloseBatches = false; // one request = one batch
    this.#auth = o.auth === undefined ? undefined : createAuthenticator(o.auth);
    this.#cors = o.cors === undefined ? undefined : new Cors(o.cors, o.methods);
    this.#format = o.format === 'auto' ? undefined : o.format;
    this.#limits = {
      maxLineBytes: o.maxLineBytes,
      maxMessages: o.maxMessages,
      messageField: o.messageField,
    };
    this.#spec = { headers: o.headers, trustProxy: o.trustProxy, transport: transportOf(o) };
    this.#methods = new Set(o.methods);
    this.#delivery = undefined;
    if (o.respond === 'delivered') {
      this.#delivery = {
        timeoutMs: o.deliveryTimeout,
        answer: (p, status, json) => {
          this.#pending.delete(p);
          this.#answer(p.res, status, json, false);
        },
      };
      this.ackTracker = new InstantAckTracker(onAck);
    }
    const router = express.Router();
    this.#mount(router);
    this.#router = router;
  }

  /**
   * Hook for subclasses: add routes or middleware to the app before the
   * ingest routes (so middleware added with `app.use` runs for them too).
   * Not called with `listen: false`. Default: nothing.
   */
  protected routes(_app: Express): void {}

  /**
   * The server once it listens, until it has closed; undefined before `run()`
   * listens and with `listen: false`. Attach another component to it to share
   * the port: e.g. a WebSocketSource's `server` option, as a function that
   * awaits {@link whenListening} first.
   */
  get server(): Server | undefined {
    return this.#server;
  }

  /**
   * Resolves with the bound port once the server listens (at once if it does).
   * @throws LifecycleError (rejects) with `listen: false`, where there is no server.
   */
  whenListening(): Promise<number> {
    if (this.#server?.listening === true) return Promise.resolve(this.port);
    if (!this.#o.listen) {
      return Promise.reject(
        new LifecycleError(
          'listen is false: this source has no server; mount `handler` in your app',
        ),
      );
    }
    return new Promise((resolve, reject) => this.#listening.push({ resolve, reject }));
  }

  /** Serves until exit is requested; then lets in-flight requests finish (bounded by `shutdownTimeout`). */
  override async run(): Promise<void> {
    const o = this.#o;
    this.setTransportName(transportOf(o));
    this.#closing = this.signal.aborted;
    this.#running = true;
    try {
      if (!o.listen) await this.#serveMounted();
      else await this.#serve(o);
    } finally {
      this.#running = false;
    }
  }

  /** Stops accepting, answers new requests on open connections with 503, closes idle keep-alive sockets. */
  override requestExit(): void {
    this.#closing = true;
    if (this.#server !== undefined) this.#shutdown(this.#server);
    if (this.#inflight === 0) this.#drained?.();
  }

  /** Flow control filled the window: refuse new requests until {@link wakeup}. */
  override suspend(): void {
    this.#suspended = true;
    this.logger.debug('suspended by flow control: answering busy');
  }

  /** The window has room again. */
  override wakeup(): void {
    this.#suspended = false;
    this.logger.debug('woken up: accepting requests');
  }

  async #serve(o: ResolvedHttpSourceOptions): Promise<void> {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    this.routes(app);
    this.#mount(app); // directly, not through the router: one dispatch less per request
    app.use(notFound);
    app.use(routeErrorHandler(this.logger, () => this.#closing));
    const server = createServer(o, app);
    const closed = new Promise<void>((resolve) => server.once('close', resolve));
    try {
      await listen(server, o.port, o.host);
    } catch (err) {
      for (const l of this.#listening.splice(0)) l.reject(err);
      throw err;
    }
    server.on('error', (err) => this.logger.error('server error', err));
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.logger.info(
      `listening on ${o.tls ? 'https' : 'http'}://${o.host ?? '*'}:${this.port}${o.path}`,
    );
    for (const l of this.#listening.splice(0)) l.resolve(this.port);
    if (this.#closing) this.#shutdown(server);
    await closed;
    this.#server = undefined;
  }

  #shutdown(server: Server): void {
    // Requests waiting for acks get a 503 (with Connection: close) before their sockets go.
    closeServer(server, this.#o.shutdownTimeout, () => this.#cancelPending(), this.logger);
  }

  #cancelPending(): number {
    const n = this.#pending.size;
    for (const p of [...this.#pending]) p.cancel();
    return n;
  }

  /** `listen: false`: the app is someone else's; wait for exit, then for in-flight requests. */
  async #serveMounted(): Promise<void> {
    if (!this.signal.aborted) {
      await new Promise<void>((resolve) =>
        this.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
    if (this.#inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      timer = setTimeout(() => {
        this.logger.warn(
          `requests still open after shutdownTimeout (${this.#o.shutdownTimeout} ms); returning`,
        );
        this.#cancelPending();
        resolve();
      }, this.#o.shutdownTimeout);
    });
    clearTimeout(timer);
    this.#drained = undefined;
  }

  #mount(r: RouteTarget): void {
    const { healthPath, path } = this.#o;
    // Health first: an ingest path with parameters (`/:stream`) would take `/health` too.
    if (healthPath !== false) r.get(healthPath, this.#health);
    r.all(path, this.#dispatch);
  }

  readonly #health = (req: Request, res: Response): void => {
    this.#cors?.apply(req, res);
    if (this.#closing) return this.#answer(res, 503, '{"status":"stopping"}', false);
    if (this.#suspended) {
      res.setHeader('retry-after', String(retryAfterSeconds(this.#o.retryAfter)));
      return this.#answer(res, 503, '{"status":"suspended"}', false);
    }
    this.#answer(res, 200, '{"status":"ok"}', false);
  };

  readonly #dispatch = (req: Request, res: Response): void => {
    if (this.#methods.has(req.method)) {
      if (!this.#o.listen) {
        this.#inflight++;
        res.once('close', this.#onMountedDone);
      }
      void this.#ingest(req, res);
    } else if (req.method === 'OPTIONS' && this.#cors !== undefined) {
      this.#cors.preflight(req, res);
    } else {
      res.setHeader('allow', [...this.#methods, ...(this.#cors ? ['OPTIONS'] : [])].join(', '));
      this.#refuse(
        req,
        res,
        new HttpError(405, `method ${req.method} is not allowed here`, {
          allowed: [...this.#methods],
        }),
      );
    }
  };

  readonly #onMountedDone = (): void => {
    if (--this.#inflight === 0 && this.#closing) this.#drained?.();
  };

  /** One request: refuse early what can be refused early, then read, parse and post the whole body. */
  async #ingest(req: Request, res: Response): Promise<void> {
    const cors = this.#cors;
    if (cors !== undefined) cors.apply(req, res);
    if (this.#closing || !this.#running) {
      const why = this.#closing ? 'the source is shutting down' : 'the source is not running';
      return this.#refuse(req, res, new HttpError(503, why), true);
    }
    if (this.#suspended) return this.#busy(req, res);
    try {
      const auth = this.#auth;
      if (auth !== undefined) {
        let ok = auth.check(req);
        if (typeof ok !== 'boolean') ok = await ok;
        if (ok !== true) {
          res.setHeader('www-authenticate', auth.challenge);
          throw new HttpError(401, `unauthorized: expected ${auth.expected}`);
        }
      }
      const format = this.#format ?? formatFromContentType(req.headers['content-type']);
      const encoding = req.headers['content-encoding'];
      const inflater = inflaterFor(encoding);
      if (inflater === null) {
        throw new HttpError(415, `unsupported Content-Encoding "${encoding}"`, {
          supported: ['gzip', 'deflate', 'br'],
        });
      }
      const max = this.#o.maxBodyBytes;
      let body = await readBody(req, max);
      if (inflater !== undefined) body = await decompress(body, inflater, encoding!, max);
      const messages = parseBody(body, format, this.#limits, collectFields(req, this.#spec));
      if (!this.#running) throw new HttpError(503, 'the source stopped while the request was read');
      if (this.#suspended) return this.#busy(req, res);
      this.#post(res, messages);
    } catch (err) {
      if (err instanceof HttpError && err.status === 499) return; // the client is gone
      if (!(err instanceof HttpError)) this.logger.error('failed to handle a request', err);
      this.#refuse(req, res, toHttpError(err));
    }
  }

  /** Posts a parsed request (its fields already set) as one batch. */
  #post(res: Response, messages: LogMessage[]): void {
    const n = messages.length;
    let pending: PendingDelivery | undefined;
    if (this.#delivery !== undefined) {
      pending = new PendingDelivery(res, n, this.#delivery);
      this.#pending.add(pending);
      pending.start();
    }
    if (pending !== undefined) for (let i = 0; i < n; i++) messages[i]!.setBookmark(pending);
    // false only means "window full": the hooks switch to busy answers
    this.postMessages(messages);
    if (n > 0) this.closeBatch();
    if (pending === undefined) this.#accepted.add(res, n);
  }

  #busy(req: Request, res: Response): void {
    const secs = retryAfterSeconds(this.#o.retryAfter);
    res.setHeader('retry-after', String(secs));
    const err = new HttpError(
      this.#o.busyStatus,
      'busy: the pipeline is applying flow control; retry later',
      { retryAfter: secs },
    );
    this.#refuse(req, res, err);
  }

  #refuse(req: IncomingMessage, res: ServerResponse, err: HttpError, close = false): void {
    if (err.status >= 500 && err.status !== 503)
      this.logger.warn(`answered ${err.status}: ${err.message}`);
    else this.logger.debug(`answered ${err.status}: ${err.message}`);
    this.#answer(
      res,
      err.status,
      errorBody(err),
      close || err.closeConnection || hasLargeUnreadBody(req),
    );
  }

  #answer(res: ServerResponse, status: number, json: string, close: boolean): void {
    answerJson(res, status, json, close || this.#closing);
  }
}

function transportOf(o: ResolvedHttpSourceOptions): string {
  return o.tls !== undefined && o.listen ? 'https' : 'http';
}

function onAck(bookmark: unknown, status: AckStatus): void {
  (bookmark as PendingDelivery).ack(status);
}
