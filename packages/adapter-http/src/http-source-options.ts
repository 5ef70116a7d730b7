import type { Request } from 'express';

/**
 * How a request body becomes messages.
 * - `auto`: by Content-Type (JSON, NDJSON, text/plain, application/octet-stream); others get 415.
 * - `json`: an object is one message, an array is one message per element.
 * - `ndjson`: one JSON value per line.
 * - `text`: one message per line.
 * - `raw`: the whole body is one message.
 * - `syslog`: each line parsed with `LogMessage.parse` (RFC 5424, then RFC 3164).
 */
export type HttpSourceFormat = 'auto' | 'json' | 'ndjson' | 'text' | 'raw' | 'syslog';

/**
 * Who may post. Every secret is compared in constant time.
 * - `{ bearer: [...] }`: `Authorization: Bearer <token>` with one of the tokens.
 * - `{ basic: { username, password } }`: HTTP Basic.
 * - `{ header, values }`: the named header holds one of the values (an API key).
 * - a function: called per request; resolve `true` to accept.
 */
export type HttpSourceAuth =
  | { readonly bearer: readonly string[] }
  | { readonly basic: { readonly username: string; readonly password: string } }
  | { readonly header: string; readonly values: readonly string[] }
  | ((req: Request) => boolean | Promise<boolean>);

/** TLS settings: with them, the source serves HTTPS. */
export interface HttpSourceTlsOptions {
  /** Private key, PEM. */
  readonly key: string | Buffer;
  /** Certificate chain, PEM. */
  readonly cert: string | Buffer;
  /** CAs that client certificates must chain to (default: the system store). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Require a valid client certificate (mutual TLS). Default false. */
  readonly requestClientCert?: boolean;
}

/** Cross-origin settings, so that browsers may post (fetch, `navigator.sendBeacon`). */
export interface HttpSourceCorsOptions {
  /** Allowed origins: `'*'`, one origin or a list (`https://app.example.com`). */
  readonly origin: string | readonly string[];
  /** Allow cookies and credentials (`Access-Control-Allow-Credentials`). Default false. */
  readonly credentials?: boolean;
}

/** Options of {@link HttpSource}. Durations in milliseconds. */
export interface HttpSourceOptions {
  /** Interface to listen on. Default: all interfaces. */
  host?: string;
  /** TCP port; 0 picks a free one (then read `source.port`). Default 8080. */
  port?: number;
  /** Run a server (true) or only serve `handler`, mounted in an app you run (false). Default true. */
  listen?: boolean;
  /** Ingest route; may hold Express route parameters (`/ingest/:tenant`). Default `/`. */
  path?: string;
  /** Methods the ingest route accepts. Default `['POST', 'PUT']`. */
  methods?: readonly string[];
  /** How bodies become messages. Default `auto`. */
  format?: HttpSourceFormat;
  /** JSON field that becomes MESSAGE. Default `message`. */
  messageField?: string;
  /** Request headers copied into `HTTP.HEADERS.<name>` (lower case). Default none. */
  headers?: readonly string[];
  /** Take SOURCEIP from the first `X-Forwarded-For` entry. Default false. */
  trustProxy?: boolean;
  /** Let browsers post cross-origin. Default: off. */
  cors?: HttpSourceCorsOptions;
  /** Largest body, on the wire and decompressed (413 beyond). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Largest line of `ndjson`, `text` and `syslog` bodies (413 beyond). Default 1 MiB. */
  maxLineBytes?: number;
  /** Most messages one request may carry (413 beyond). Default 100000. */
  maxMessages?: number;
  /** Who may post (401 otherwise). Default: anyone. */
  auth?: HttpSourceAuth;
  /** Serve HTTPS. Default: plain HTTP. */
  tls?: HttpSourceTlsOptions;
  /** `accepted`: 202 once the body is posted; `delivered`: 200 once every message is delivered. Default `accepted`. */
  respond?: 'accepted' | 'delivered';
  /** With `respond: 'delivered'`, answer 504 after this long. Default 30000. */
  deliveryTimeout?: number;
  /** Status answered while the source is suspended by flow control: 429 or 503. Default 429. */
  busyStatus?: 429 | 503;
  /** Retry-After sent with busy answers, in ms (rounded up to seconds). Default 1000. */
  retryAfter?: number;
  /** `GET` route answering 200, or 503 while suspended; `false` disables it. Default `/health`. */
  healthPath?: string | false;
  /** Longest time to receive a whole request (Node's `requestTimeout`). Default 30000. */
  requestTimeout?: number;
  /** Longest time to receive the request headers (Node's `headersTimeout`). Default 10000. */
  headersTimeout?: number;
  /** How long an idle keep-alive connection stays open. Default 5000. */
  keepAliveTimeout?: number;
  /** At exit, how long in-flight requests may take before their connections are closed. Default 5000. */
  shutdownTimeout?: number;
}

/** Defaults of {@link HttpSourceOptions}. */
export const HTTP_SOURCE_DEFAULTS = Object.freeze({
  host: undefined as string | undefined,
  port: 8080,
  listen: true,
  path: '/',
  methods: Object.freeze(['POST', 'PUT']) as readonly string[],
  format: 'auto' as HttpSourceFormat,
  messageField: 'message',
  headers: Object.freeze([]) as readonly string[],
  trustProxy: false,
  cors: undefined as HttpSourceCorsOptions | undefined,
  maxBodyBytes: 10 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  maxMessages: 100_000,
  auth: undefined as HttpSourceAuth | undefined,
  tls: undefined as HttpSourceTlsOptions | undefined,
  respond: 'accepted' as 'accepted' | 'delivered',
  deliveryTimeout: 30_000,
  busyStatus: 429 as 429 | 503,
  retryAfter: 1000,
  healthPath: '/health' as string | false,
  requestTimeout: 30_000,
  headersTimeout: 10_000,
  keepAliveTimeout: 5_000,
  shutdownTimeout: 5_000,
});

/** Options after defaults and validation. @internal */
export type ResolvedHttpSourceOptions = {
  -readonly [K in keyof typeof HTTP_SOURCE_DEFAULTS]: (typeof HTTP_SOURCE_DEFAULTS)[K];
};
