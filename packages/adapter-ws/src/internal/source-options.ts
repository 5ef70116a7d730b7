/**
 * WebSocketSource options: the public shape, the frozen defaults and the
 * validation that turns them into a resolved config in `init()`.
 */
import { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import {
  checkBoolean,
  checkInt,
  checkMs,
  checkOneOf,
  checkString,
  showValue,
  type OptionIssues,
} from '@logpath/core';
import { compileAuth, type AuthCheck, type WebSocketAuth } from './auth.js';
import { FORMATS, type ParserConfig, type WebSocketFormat } from './frame-parser.js';
import { checkStringList, isPlainObject, readOptions, throwIfIssues } from './validate.js';

/** Acknowledgement mode: none, a reply per message with an id, or a reply per frame. */
export type WebSocketAckMode = 'none' | 'message' | 'batch';

/** TLS settings: the source then serves `wss://`. */
export interface WebSocketTlsOptions {
  /** Private key (PEM). */
  key: string | Buffer;
  /** Certificate chain (PEM). */
  cert: string | Buffer;
  /** CAs trusted for client certificates. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Require a client certificate signed by `ca`. Default false. */
  requestClientCert?: boolean;
}

/** Options of {@link WebSocketSource}; defaults in {@link DEFAULT_WEBSOCKET_SOURCE_OPTIONS}. */
export interface WebSocketSourceOptions {
  /** Interface to listen on. Default: every interface. */
  host?: string;
  /** Port to listen on; 0 picks a free one (read it from the instance's `port`). Required unless `server` is set. */
  port?: number;
  /** Only upgrades to this path are accepted (e.g. `/ingest`). Default: any path. */
  path?: string;
  /**
   * Attach to an existing HTTP(S) server instead of listening, sharing its port
   * (its 'upgrade' events are handled; plain requests stay its own). A function
   * is called in `run()` and may wait for a server that another component creates.
   */
  server?:
    HttpServer | HttpsServer | (() => HttpServer | HttpsServer | Promise<HttpServer | HttpsServer>);
  /** How a frame is read. Default `text`. */
  format?: WebSocketFormat;
  /** JSON formats: the field that becomes MESSAGE. Default `message`. */
  messageField?: string;
  /** Largest frame accepted, in bytes; larger ones close the connection with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** Accept binary frames (`text`: kept as bytes; other formats: decoded as UTF-8). Default false: refused. */
  acceptBinary?: boolean;
  /** Upgrade-request headers copied to every message as `WS.HEADERS.<lower-case name>`. Default none. */
  headers?: readonly string[];
  /** Authentication of the upgrade request; refused ones get HTTP 401. Default none. */
  auth?: WebSocketAuth;
  /** Serve `wss://` (not with `server`: give it an https.Server instead). */
  tls?: WebSocketTlsOptions;
  /** Ping every connection this often, in ms; 0 disables the heartbeat. Default 30000. */
  pingInterval?: number;
  /** Terminate a connection whose pong is this late, in ms. Default 10000. */
  pingTimeout?: number;
  /** Further upgrades get HTTP 503 while this many connections are open. Default 10000. */
  maxConnections?: number;
  /** Acknowledgements sent back to clients. Default `none`. */
  ack?: WebSocketAckMode;
  /** JSON formats: the field holding a message's ack id. Default `id`. */
  idField?: string;
  /** At exit, how long to wait for pending acknowledgements before closing connections, in ms. Default 5000. */
  closeTimeout?: number;
  /** Negotiate permessage-deflate (maxPayload still bounds the inflated size). Default false. */
  perMessageDeflate?: boolean;
  /** A client that lets this many bytes of replies pile up unread is disconnected (1008). Default 4 MiB. */
  maxReplyBuffer?: number;
  /**
   * Longest time to receive an upgrade request's headers, in ms (Node's
   * `headersTimeout`; cuts off slow-loris clients). Only for the source's own
   * server: with `server`, that server's timeouts apply. 0 disables it. Default 10000.
   */
  headersTimeout?: number;
}

/** Defaults of {@link WebSocketSourceOptions} (options without a default are absent). */
export const DEFAULT_WEBSOCKET_SOURCE_OPTIONS = Object.freeze({
  format: 'text' as WebSocketFormat,
  messageField: 'message',
  maxPayload: 1 << 20,
  acceptBinary: false,
  headers: Object.freeze([]) as readonly string[],
  pingInterval: 30_000,
  pingTimeout: 10_000,
  maxConnections: 10_000,
  ack: 'none' as WebSocketAckMode,
  idField: 'id',
  closeTimeout: 5_000,
  perMessageDeflate: false,
  maxReplyBuffer: 4 << 20,
  headersTimeout: 10_000,
});

const KNOWN = [
  'host',
  'port',
  'path',
  'server',
  'tls',
  'auth',
  ...Object.keys(DEFAULT_WEBSOCKET_SOURCE_OPTIONS),
];

/** Options after validation. */
export interface SourceConfig extends ParserConfig {
  readonly host: string | undefined;
  readonly port: number;
  readonly path: string | undefined;
  readonly server:
    HttpServer | (() => HttpServer | HttpsServer | Promise<HttpServer | HttpsServer>) | undefined;
  readonly tls: WebSocketTlsOptions | undefined;
  /** TLS of its own (an attached https.Server is detected in run()). */
  readonly secure: boolean;
  readonly maxPayload: number;
  readonly acceptBinary: boolean;
  readonly headers: readonly string[];
  readonly auth: AuthCheck | undefined;
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly maxConnections: number;
  readonly ack: WebSocketAckMode;
  readonly closeTimeout: number;
  readonly perMessageDeflate: boolean;
  readonly maxReplyBuffer: number;
  readonly headersTimeout: number;
}

/**
 * Validates the options of a WebSocketSource.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveSourceOptions(input: WebSocketSourceOptions | undefined): SourceConfig {
  const issues: OptionIssues = [];
  const o = input ?? {};
  const pick = readOptions(issues, 'WebSocketSource', o, KNOWN, DEFAULT_WEBSOCKET_SOURCE_OPTIONS);

  let server: SourceConfig['server'];
  if (o.server !== undefined) {
    if (o.server instanceof HttpServer || o.server instanceof HttpsServer)
      server = o.server as HttpServer;
    else if (typeof o.server === 'function') server = o.server as SourceConfig['server'];
    else
      issues.push(
        `options.server must be an http.Server, an https.Server or a function returning one, got ${showValue(o.server)}`,
      );
    if (o.port !== undefined || o.host !== undefined)
      issues.push(
        'options.port and options.host cannot be set with options.server (the server listens already)',
      );
    if (o.tls !== undefined)
      issues.push('options.tls cannot be set with options.server: pass an https.Server instead');
  } else if (o.port === undefined) {
    issues.push('options.port is required (0 picks a free port), unless options.server is set');
  } else {
    checkInt(issues, 'options.port', o.port, 0, 65535);
  }
  if (o.host !== undefined) checkString(issues, 'options.host', o.host);
  if (
    o.path !== undefined &&
    checkString(issues, 'options.path', o.path) &&
    !o.path.startsWith('/')
  ) {
    issues.push(`options.path must start with "/", got ${showValue(o.path)}`);
  }
  let tls: WebSocketTlsOptions | undefined;
  if (o.tls !== undefined) {
    const t = o.tls as unknown;
    const pem = (v: unknown): boolean =>
      (typeof v === 'string' && v.length > 0) || Buffer.isBuffer(v);
    if (!isPlainObject(t) || !pem(t.key) || !pem(t.cert)) {
      issues.push(
        'options.tls must be { key, cert, ca?, requestClientCert? } with PEM strings or Buffers for key and cert',
      );
    } else {
      if (t.requestClientCert !== undefined)
        checkBoolean(issues, 'options.tls.requestClientCert', t.requestClientCert);
      tls = o.tls as WebSocketTlsOptions;
    }
  }
  const auth = compileAuth(issues, 'options.auth', o.auth);
  const ack = pick('ack', (n, v) =>
    checkOneOf(issues, n, v, ['none', 'message', 'batch'] as const),
  );
  const idField = pick('idField', (n, v) => checkString(issues, n, v));
  const cfg: SourceConfig = {
    host: typeof o.host === 'string' ? o.host : undefined,
    port: typeof o.port === 'number' ? o.port : 0,
    path: typeof o.path === 'string' ? o.path : undefined,
    server,
    tls,
    secure: tls !== undefined,
    format: pick('format', (n, v) => checkOneOf(issues, n, v, FORMATS)),
    messageField: pick('messageField', (n, v) => checkString(issues, n, v)),
    idField: ack === 'none' ? undefined : idField,
    maxPayload: pick('maxPayload', (n, v) => checkInt(issues, n, v, 1)),
    acceptBinary: pick('acceptBinary', (n, v) => checkBoolean(issues, n, v)),
    headers: pick('headers', (n, v) => checkStringList(issues, n, v)).map((h) => h.toLowerCase()),
    auth,
    pingInterval: pick('pingInterval', (n, v) => checkMs(issues, n, v)),
    pingTimeout: pick('pingTimeout', (n, v) => checkMs(issues, n, v)),
    maxConnections: pick('maxConnections', (n, v) => checkInt(issues, n, v, 1)),
    ack,
    closeTimeout: pick('closeTimeout', (n, v) => checkMs(issues, n, v)),
    perMessageDeflate: pick('perMessageDeflate', (n, v) => checkBoolean(issues, n, v)),
    maxReplyBuffer: pick('maxReplyBuffer', (n, v) => checkInt(issues, n, v, 1)),
    headersTimeout: pick('headersTimeout', (n, v) => checkMs(issues, n, v)),
  };
  if (cfg.pingInterval > 0 && cfg.pingTimeout === 0)
    issues.push('options.pingTimeout must be > 0 when options.pingInterval is set, got 0');
  throwIfIssues(issues);
  return cfg;
}
