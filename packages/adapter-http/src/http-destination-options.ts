/**
 * Body of each request.
 * - `ndjson`: one JSON object per message and line (`msg.toJSON()`).
 * - `json-array`: one JSON array of those objects.
 * - `{ template }`: the template expanded per message, one per line (CR and LF in it written as `\r` / `\n`).
 */
export type HttpDestinationFormat = 'ndjson' | 'json-array' | { readonly template: string };

/** Credentials sent with every request. */
export type HttpDestinationAuth =
  | { readonly bearer: string }
  | { readonly basic: { readonly username: string; readonly password: string } }
  | { readonly header: string; readonly value: string };

/** TLS settings for `https:` URLs. */
export interface HttpDestinationTlsOptions {
  /** CAs to trust instead of the system store (a self-signed server). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate and key, PEM (mutual TLS). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Verify the server's certificate. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Options of {@link HttpDestination}. Batching is the driver's: `batchLines`,
 * `batchBytes` and `batchTimeout` beside `class` in the config.
 */
export interface HttpDestinationOptions {
  /** Where to send; a template (`https://logs.example.com/${HTTP.PARAMS.tenant}`) groups each batch per URL. Required. */
  url: string;
  /** Default `POST`. */
  method?: 'POST' | 'PUT' | 'PATCH';
  /** Extra request headers. Default none. */
  headers?: Readonly<Record<string, string>>;
  /** Default: none. */
  auth?: HttpDestinationAuth;
  /** Body format. Default `ndjson`. */
  format?: HttpDestinationFormat;
  /** Compress bodies with gzip. Default false. */
  gzip?: boolean;
  /** Per-request timeout, in ms. Default 30000. */
  timeout?: number;
  /** Keep-alive sockets per host. Default 8. */
  maxSockets?: number;
  /**
   * Longest `Retry-After` of a 429 or 503 honoured, in ms: longer asks are
   * capped; 0 ignores Retry-After (the answer is then a plain failure). Default 60000.
   */
  maxRetryAfter?: number;
  /** For `https:` URLs. */
  tls?: HttpDestinationTlsOptions;
}

/** Defaults of {@link HttpDestinationOptions} (every option but `url`). */
export const HTTP_DESTINATION_DEFAULTS = Object.freeze({
  method: 'POST' as 'POST' | 'PUT' | 'PATCH',
  headers: Object.freeze({}) as Readonly<Record<string, string>>,
  auth: undefined as HttpDestinationAuth | undefined,
  format: 'ndjson' as HttpDestinationFormat,
  gzip: false,
  timeout: 30_000,
  maxSockets: 8,
  maxRetryAfter: 60_000,
  tls: undefined as HttpDestinationTlsOptions | undefined,
});

/** Options after defaults and validation. @internal */
export type ResolvedHttpDestinationOptions = {
  -readonly [K in keyof typeof HTTP_DESTINATION_DEFAULTS]: (typeof HTTP_DESTINATION_DEFAULTS)[K];
} & { url: string };
