/**
 * WebSocketDestination options: the public shape, the frozen defaults and the
 * validation run in `init()`.
 */
import type { ClientOptions } from 'ws';
import {
  checkBoolean,
  checkInt,
  checkMs,
  checkOneOf,
  checkString,
  showValue,
  type OptionIssues,
} from '@logpath/core';
import { isPlainObject, readOptions, throwIfIssues } from './validate.js';

/** Credentials sent with the upgrade request. */
export type WebSocketClientAuth =
  { bearer: string } | { basic: { username: string; password: string } };

/** TLS settings for `wss://` URLs. */
export interface WebSocketClientTlsOptions {
  /** CAs to trust (e.g. a self-signed server certificate). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate (PEM), for servers that ask for one. */
  cert?: string | Buffer;
  /** Key of the client certificate (PEM). */
  key?: string | Buffer;
  /** Verify the server certificate. Default true. */
  rejectUnauthorized?: boolean;
}

/** Options of {@link WebSocketDestination}; defaults in {@link DEFAULT_WEBSOCKET_DESTINATION_OPTIONS}. */
export interface WebSocketDestinationOptions {
  /** Server to connect to: `ws://host:port/path` or `wss://…`. Required. */
  url: string;
  /** Extra headers of the upgrade request. Default none. */
  headers?: Record<string, string>;
  /** Credentials: an `Authorization: Bearer` or `Basic` header. Default none. */
  auth?: WebSocketClientAuth;
  /** TLS settings for `wss://`. */
  tls?: WebSocketClientTlsOptions;
  /** `message`: one message per frame; `batch`: each batch as one NDJSON frame. Default `message`. */
  frame?: 'message' | 'batch';
  /** Text of each message (e.g. `${MESSAGE}`). Default: the message as JSON (`msg.toJSON()`). */
  template?: string;
  /**
   * Wait for the server's acknowledgement of every frame (the protocol of a
   * WebSocketSource with `ack: 'batch'`) before reporting SUCCESS. Default false:
   * SUCCESS once written to the socket.
   */
  ack?: boolean;
  /** With `ack`: reconnect and resend when a batch is not acknowledged within this many ms. Default 30000. */
  ackTimeout?: number;
  /** Give up a connection attempt after this many ms. Default 10000. */
  connectTimeout?: number;
  /** First wait before reconnecting after a failed attempt, in ms; doubles per failure. Default 1000. */
  reconnectDelay?: number;
  /** Longest wait between reconnection attempts, in ms. Default 30000. */
  reconnectMaxDelay?: number;
  /** `batch` frames are split to stay under this many bytes (keep it ≤ the server's maxPayload). Default 1 MiB. */
  maxFrameBytes?: number;
}

/** Defaults of {@link WebSocketDestinationOptions} (options without a default are absent). */
export const DEFAULT_WEBSOCKET_DESTINATION_OPTIONS = Object.freeze({
  frame: 'message' as 'message' | 'batch',
  ack: false,
  ackTimeout: 30_000,
  connectTimeout: 10_000,
  reconnectDelay: 1_000,
  reconnectMaxDelay: 30_000,
  maxFrameBytes: 1 << 20,
});

const KNOWN = [
  'url',
  'headers',
  'auth',
  'tls',
  'template',
  ...Object.keys(DEFAULT_WEBSOCKET_DESTINATION_OPTIONS),
];

/** Options after validation. */
export interface DestinationConfig {
  readonly url: string;
  readonly client: ClientOptions;
  readonly frame: 'message' | 'batch';
  readonly template: string | undefined;
  readonly ack: boolean;
  readonly ackTimeout: number;
  readonly reconnectDelay: number;
  readonly reconnectMaxDelay: number;
  readonly maxFrameBytes: number;
}

/**
 * Validates the options of a WebSocketDestination.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveDestinationOptions(
  input: WebSocketDestinationOptions | undefined,
): DestinationConfig {
  const issues: OptionIssues = [];
  const o = (input ?? {}) as Partial<WebSocketDestinationOptions>;
  const pick = readOptions(
    issues,
    'WebSocketDestination',
    o,
    KNOWN,
    DEFAULT_WEBSOCKET_DESTINATION_OPTIONS,
  );
  if (o.url === undefined) issues.push('options.url is required (ws://host:port/path or wss://…)');
  else if (checkString(issues, 'options.url', o.url)) {
    let ok = false;
    try {
      ok = ['ws:', 'wss:'].includes(new URL(o.url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) issues.push(`options.url must be a ws:// or wss:// URL, got ${showValue(o.url)}`);
  }
  const headers: Record<string, string> = {};
  if (o.headers !== undefined) {
    if (
      !isPlainObject(o.headers) ||
      !Object.values(o.headers).every((v) => typeof v === 'string')
    ) {
      issues.push(`options.headers must be an object of strings, got ${showValue(o.headers)}`);
    } else Object.assign(headers, o.headers);
  }
  if (o.auth !== undefined) {
    const a = o.auth as unknown;
    if (isPlainObject(a) && typeof a.bearer === 'string' && a.bearer.length > 0) {
      headers.Authorization = `Bearer ${a.bearer}`;
    } else if (
      isPlainObject(a) &&
      isPlainObject(a.basic) &&
      typeof a.basic.username === 'string' &&
      typeof a.basic.password === 'string'
    ) {
      headers.Authorization = `Basic ${Buffer.from(`${a.basic.username}:${a.basic.password}`).toString('base64')}`;
    } else {
      issues.push('options.auth must be { bearer: string } or { basic: { username, password } }');
    }
  }
  const client: ClientOptions = { headers, perMessageDeflate: false };
  if (o.tls !== undefined) {
    if (!isPlainObject(o.tls))
      issues.push(`options.tls must be an object, got ${showValue(o.tls)}`);
    else {
      const t = o.tls;
      if (t.rejectUnauthorized !== undefined)
        checkBoolean(issues, 'options.tls.rejectUnauthorized', t.rejectUnauthorized);
      Object.assign(client, {
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        rejectUnauthorized: t.rejectUnauthorized !== false,
      });
    }
  }
  if (o.template !== undefined) checkString(issues, 'options.template', o.template);
  const cfg: DestinationConfig = {
    url: typeof o.url === 'string' ? o.url : '',
    client,
    frame: pick('frame', (n, v) => checkOneOf(issues, n, v, ['message', 'batch'] as const)),
    template: typeof o.template === 'string' && o.template.length > 0 ? o.template : undefined,
    ack: pick('ack', (n, v) => checkBoolean(issues, n, v)),
    ackTimeout: pick('ackTimeout', (n, v) => checkMs(issues, n, v)),
    reconnectDelay: pick('reconnectDelay', (n, v) => checkMs(issues, n, v)),
    reconnectMaxDelay: pick('reconnectMaxDelay', (n, v) => checkMs(issues, n, v)),
    maxFrameBytes: pick('maxFrameBytes', (n, v) => checkInt(issues, n, v, 1)),
  };
  const connectTimeout = pick('connectTimeout', (n, v) => checkMs(issues, n, v));
  client.handshakeTimeout = connectTimeout > 0 ? connectTimeout : undefined;
  if (cfg.reconnectMaxDelay < cfg.reconnectDelay) {
    issues.push(
      `options.reconnectMaxDelay must be ≥ options.reconnectDelay (${cfg.reconnectDelay}), got ${cfg.reconnectMaxDelay}`,
    );
  }
  throwIfIssues(issues);
  return cfg;
}
