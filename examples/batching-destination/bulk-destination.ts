/**
 * A custom batching destination: BulkHttpDestination posts messages to a bulk
 * API as NDJSON, one request per batch. `send()` only adds the message to the
 * batch and returns QUEUED; the runtime calls `flush()` when the batch reaches
 * `batchLines` or `batchBytes`, or `batchTimeout` after its first message (the
 * driver options beside `class` in the config). Every result code is used:
 *
 * | result        | when                                                     | what the runtime does                         |
 * | ------------- | -------------------------------------------------------- | --------------------------------------------- |
 * | QUEUED        | `send()` added the message to the batch                  | calls `flush()` when the batch is due         |
 * | SUCCESS       | the API answered 2xx                                     | acknowledges every message of the batch       |
 * | DROP          | a 4xx: the API refuses the batch as it is                | drops the batch, to the `fallback` destination |
 * | ERROR         | 5xx, or 429/503 (then with `retryAfter()`)               | resends after `timeReopen` (or Retry-After), at most `retries` times |
 * | RETRY         | the connection was reset (a stale keep-alive socket)     | resends at once; after `retries`, as NOT_CONNECTED |
 * | NOT_CONNECTED | connection refused, timeout                              | `close()`, waits `timeReopen`, `open()`, resends, without limit |
 */
import { Agent, request } from 'node:http';
import {
  ConfigError,
  ErrorCode,
  LogDestination,
  checkInt,
  showValue,
  type LogMessage,
  type OptionIssues,
  type SendResult,
} from '@logpath/core';

export interface BulkHttpOptions {
  /** The bulk endpoint, `http://…`. Required. */
  url: string;
  /** Per-request timeout in ms; a timeout counts as NOT_CONNECTED. Default 5000. */
  timeout?: number;
}

export const DEFAULT_BULK_HTTP_OPTIONS: Readonly<{ timeout: number }> = Object.freeze({
  timeout: 5000,
});

/** Codes that mean "nobody answers there": wait and reopen. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
]);

type ResultName = 'DROP' | 'ERROR' | 'SUCCESS' | 'QUEUED' | 'NOT_CONNECTED' | 'RETRY';

export class BulkHttpDestination extends LogDestination<BulkHttpOptions> {
  /** How often each result was returned (for the example's summary). */
  readonly results: Record<ResultName, number> = {
    QUEUED: 0,
    SUCCESS: 0,
    DROP: 0,
    ERROR: 0,
    RETRY: 0,
    NOT_CONNECTED: 0,
  };
  #url: URL | undefined;
  #options: { timeout: number } = { ...DEFAULT_BULK_HTTP_OPTIONS };
  #agent: Agent | undefined;
  #lines: string[] = [];

  override init(options: BulkHttpOptions): void {
    const issues: OptionIssues = [];
    try {
      this.#url = new URL(options.url);
      if (this.#url.protocol !== 'http:')
        issues.push(`url must be an http: URL, got ${showValue(options.url)}`);
    } catch {
      issues.push(`url must be an absolute URL, got ${showValue(options.url)}`);
    }
    const o = { ...DEFAULT_BULK_HTTP_OPTIONS, ...options };
    checkInt(issues, 'timeout', o.timeout, 1);
    if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
    this.#options = { timeout: o.timeout };
  }

  override open(): boolean {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1 });
    return true;
  }

  override close(): void {
    this.#agent?.destroy(); // after NOT_CONNECTED: the next open() starts with fresh connections
    this.#agent = undefined;
    this.#lines = []; // never sent from here: at a reload the runtime resends the batch itself
  }

  override send(msg: LogMessage): SendResult {
    // DROP here would drop the whole batch so far, not just this message: a destination that
    // must skip one bad message leaves it out and returns QUEUED. This one sends everything.
    this.#lines.push(JSON.stringify(msg.toJSON()));
    return this.#count('QUEUED', this.QUEUED);
  }

  override async flush(): Promise<SendResult> {
    const lines = this.#lines;
    // Whatever the outcome, the batch is done here: after a failure the runtime resends its messages through send().
    this.#lines = [];
    if (lines.length === 0) return this.SUCCESS;
    const body = lines.join('\n') + '\n';
    let status: number;
    let retryAfter: string | undefined;
    try {
      ({ status, retryAfter } = await this.#post(body));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (UNREACHABLE.has(code)) return this.#count('NOT_CONNECTED', this.NOT_CONNECTED, code);
      // A reset keep-alive socket (the server closed it meanwhile): resend at once on a new one.
      return this.#count('RETRY', this.RETRY, code || (err as Error).message);
    }
    if (status >= 200 && status < 300) return this.#count('SUCCESS', this.SUCCESS);
    if (
      (status === 429 || status === 503) &&
      retryAfter !== undefined &&
      /^\d+$/.test(retryAfter)
    ) {
      this.retryAfter(Number(retryAfter) * 1000); // a throttle: wait as asked, not counted against retries
      return this.#count('ERROR', this.ERROR, `${status}, Retry-After ${retryAfter} s`);
    }
    if (status >= 500 || status === 408 || status === 429)
      return this.#count('ERROR', this.ERROR, String(status));
    // Another 4xx: the API refuses this batch as it is; resending it would fail the same way.
    return this.#count('DROP', this.DROP, String(status));
  }

  #count<T extends SendResult>(name: ResultName, code: T, why?: string): T {
    this.results[name]++;
    if (why !== undefined) this.logger.info(`${name}: ${why}`);
    return code;
  }

  #post(body: string): Promise<{ status: number; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = request(this.#url!, {
        method: 'POST',
        agent: this.#agent,
        timeout: this.#options.timeout,
        headers: {
          'content-type': 'application/x-ndjson',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('response', (res) => {
        res.resume(); // the answer's body is not needed
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
