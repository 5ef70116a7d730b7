import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import {
  DestinationResult as R,
  LogDestination,
  LogTemplate,
  type LogMessage,
  type SendResult,
} from '@logpath/core';
import fetch, { type Response } from 'node-fetch';
import type {
  HttpDestinationOptions,
  ResolvedHttpDestinationOptions,
} from './http-destination-options.js';
import { joinBody, parseRetryAfter, redactUrl, worse, type UrlGroup } from './internal/outbound.js';
import { resolveDestinationOptions } from './internal/resolve-destination-options.js';

const gzip = promisify(gzipCb);
const EXCERPT = 300;

/**
 * Sends messages to an HTTP endpoint in batches (QUEUED, then one request per
 * URL at `flush()`), over keep-alive connections.
 *
 * Answers map to results: 2xx SUCCESS; 429 or 503 with a `Retry-After` above
 * 0 ERROR with {@link LogDestination.retryAfter}, so the batch is resent when
 * the server asked (up to `maxRetryAfter`) and the wait does not count against
 * `retries`; other 408, 429 and 5xx ERROR (resent after `timeReopen`, dropped
 * after `retries`); other 3xx/4xx DROP (to the fallback destination, if any);
 * network errors and timeouts NOT_CONNECTED (resent without limit).
 *
 * @example
 * destinations: {
 *   api: { class: HttpDestination, options: { url: 'https://logs.example.com/ingest', gzip: true }, batchLines: 500, batchTimeout: 1000 },
 * }
 */
export class HttpDestination extends LogDestination<HttpDestinationOptions> {
  #o: ResolvedHttpDestinationOptions = { url: '' } as ResolvedHttpDestinationOptions;
  #url: LogTemplate | undefined;
  #serialize: (msg: LogMessage) => string = serializeJson;
  #jsonArray = false;
  #headers: Record<string, string> = {};
  #single: UrlGroup = { url: '', lines: [], messages: [] };
  #groups = new Map<string, UrlGroup>();
  #http: HttpAgent | undefined;
  #https: HttpsAgent | undefined;
  /** Messages already delivered by a batch that failed for another URL: skipped when resent. */
  #sent: WeakSet<LogMessage> | undefined;

  /**
   * Validates the options and compiles the URL and body templates.
   * @throws ConfigError (ERR_INVALID_OPTION) naming each invalid option; ParseError for a malformed template.
   */
  override init(options: HttpDestinationOptions): void {
    const o = resolveDestinationOptions(options);
    this.#o = o;
    this.#url = o.url.includes('$') ? new LogTemplate(o.url) : undefined;
    this.#single = { url: o.url, lines: [], messages: [] };
    this.#jsonArray = o.format === 'json-array';
    if (typeof o.format === 'object') {
      const tpl = new LogTemplate(o.format.template);
      this.#serialize = (msg) => escapeNewlines(tpl.format(msg));
    } else {
      this.#serialize = serializeJson;
    }
    this.#headers = buildHeaders(o);
  }

  /** Creates the keep-alive agents. */
  override open(): boolean {
    const { maxSockets, tls } = this.#o;
    this.#http = new HttpAgent({ keepAlive: true, maxSockets });
    this.#https = new HttpsAgent({
      keepAlive: true,
      maxSockets,
      ca: tls?.ca as string | Buffer | (string | Buffer)[] | undefined,
      cert: tls?.cert,
      key: tls?.key,
      rejectUnauthorized: tls?.rejectUnauthorized ?? true,
    });
    return true;
  }

  /** Closes the connections and forgets the batch. */
  override close(): void {
    this.#http?.destroy();
    this.#https?.destroy();
    this.#http = undefined;
    this.#https = undefined;
    this.#clearBatch();
  }

  /** Adds the message to the batch of its URL. */
  override send(msg: LogMessage): 4 {
    return this.#add(msg);
  }

  /**
   * Sends one request per URL of the batch; the batch's result is the worst of
   * theirs. When every failed request was throttled (Retry-After), the batch
   * waits the longest ask instead of `timeReopen`, without using up `retries`.
   */
  override async flush(): Promise<SendResult> {
    const groups =
      this.#url === undefined
        ? this.#single.lines.length > 0
          ? [this.#single]
          : []
        : [...this.#groups.values()];
    const templated = this.#url !== undefined;
    this.#single = { url: this.#o.url, lines: [], messages: [] };
    this.#groups = new Map();
    if (groups.length === 0) return R.SUCCESS;
    const answers = await Promise.all(groups.map((g) => this.#request(g.url, g.lines)));
    let result: number = R.SUCCESS;
    let throttle = 0;
    let failed = false;
    for (const a of answers) {
      result = worse(result, a.code);
      if (a.throttle !== undefined) throttle = Math.max(throttle, a.throttle);
      else if (a.code === R.ERROR) failed = true;
    }
    // A real failure beside a throttled URL still counts against retries.
    if (result === R.ERROR && throttle > 0 && !failed) this.retryAfter(throttle);
    if (result === R.ERROR || result === R.NOT_CONNECTED) {
      if (templated) this.#rememberSent(groups, answers);
    } else {
      this.#sent = undefined;
    }
    return result as SendResult;
  }

  #add(msg: LogMessage): 4 {
    if (this.#sent !== undefined && this.#sent.has(msg)) return R.QUEUED;
    const line = this.#serialize(msg);
    const tpl = this.#url;
    if (tpl === undefined) {
      this.#single.lines.push(line);
      return R.QUEUED;
    }
    const url = tpl.format(msg);
    let g = this.#groups.get(url);
    if (g === undefined) {
      g = { url, lines: [], messages: [] };
      this.#groups.set(url, g);
    }
    g.lines.push(line);
    g.messages.push(msg);
    return R.QUEUED;
  }

  #rememberSent(groups: UrlGroup[], answers: Answer[]): void {
    for (let i = 0; i < groups.length; i++) {
      if (answers[i]!.code !== R.SUCCESS) continue;
      this.#sent ??= new WeakSet();
      for (const m of groups[i]!.messages) this.#sent.add(m);
    }
  }

  #clearBatch(): void {
    this.#single = { url: this.#o.url, lines: [], messages: [] };
    this.#groups = new Map();
  }

  async #request(url: string, lines: string[]): Promise<Answer> {
    const o = this.#o;
    const text = joinBody(lines, this.#jsonArray);
    const body = o.gzip ? await gzip(text) : text;
    let res: Response;
    try {
      res = await fetch(url, {
        method: o.method,
        headers: this.#headers,
        body,
        agent: (u: URL) => (u.protocol === 'https:' ? this.#https : this.#http),
        signal: AbortSignal.timeout(o.timeout),
        redirect: 'manual',
      });
    } catch (err) {
      return { code: this.#failed(url, err) };
    }
    const status = res.status;
    if (status >= 200 && status < 300) {
      await res.arrayBuffer().catch(() => undefined); // frees the socket for keep-alive
      return SUCCESS;
    }
    const excerpt = (await res.text().catch(() => '')).slice(0, EXCERPT);
    const where = `${o.method} ${redactUrl(url)} answered ${status}${excerpt ? ` (${excerpt})` : ''}`;
    if (status === 429 || status === 503) {
      // Retry-After: 0 (or a past date) would resend at once, forever: a plain failure instead.
      const wait = parseRetryAfter(res.headers.get('retry-after'), o.maxRetryAfter);
      if (wait !== undefined && wait > 0) {
        this.logger.warn(
          `${where}; resending ${lines.length} messages after Retry-After (${wait} ms)`,
        );
        return { code: R.ERROR, throttle: wait };
      }
    }
    if (status === 408 || status === 429 || status >= 500) {
      this.logger.warn(`${where}; resending ${lines.length} messages`);
      return ERROR;
    }
    this.logger.error(
      `${where}; dropping ${lines.length} messages (they go to the fallback destination, if any)`,
    );
    return DROP;
  }

  #failed(url: string, err: unknown): number {
    const e = err as { name?: string; message?: string; code?: string };
    if (e.name === 'TypeError' || e.code === 'ERR_INVALID_URL') {
      this.logger.error(
        `cannot send to ${JSON.stringify(url)}: ${e.message ?? String(err)}; dropping the batch`,
      );
      return R.DROP;
    }
    const why =
      e.name === 'AbortError' || e.name === 'TimeoutError'
        ? `no answer within timeout (${this.#o.timeout} ms)`
        : (e.message ?? String(err));
    this.logger.warn(`${this.#o.method} ${redactUrl(url)} failed: ${why}; reconnecting`);
    return R.NOT_CONNECTED;
  }
}

/** How one request ended; `throttle`: the server asked to wait that many ms (Retry-After). */
interface Answer {
  readonly code: number;
  readonly throttle?: number;
}

const SUCCESS: Answer = Object.freeze({ code: R.SUCCESS });
const ERROR: Answer = Object.freeze({ code: R.ERROR });
const DROP: Answer = Object.freeze({ code: R.DROP });

const NEWLINES = /[\r\n]/g;
const escapeNewline = (c: string): string => (c === '\n' ? '\\n' : '\\r');

/**
 * CR and LF of a templated line written as `\r` / `\n` (as FileDestination
 * does): a value must never split one message over two lines, nor forge one.
 */
function escapeNewlines(text: string): string {
  if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0) return text;
  return text.replace(NEWLINES, escapeNewline);
}

function serializeJson(msg: LogMessage): string {
  return JSON.stringify(msg.toJSON());
}

function buildHeaders(o: ResolvedHttpDestinationOptions): Record<string, string> {
  const h: Record<string, string> = {
    'content-type':
      typeof o.format === 'object'
        ? 'text/plain; charset=utf-8'
        : o.format === 'json-array'
          ? 'application/json'
          : 'application/x-ndjson',
  };
  if (o.gzip) h['content-encoding'] = 'gzip';
  const a = o.auth;
  if (a !== undefined) {
    if ('bearer' in a) h.authorization = `Bearer ${a.bearer}`;
    else if ('basic' in a)
      h.authorization = `Basic ${Buffer.from(`${a.basic.username}:${a.basic.password}`).toString('base64')}`;
    else h[a.header.toLowerCase()] = a.value;
  }
  for (const [k, v] of Object.entries(o.headers)) h[k.toLowerCase()] = v;
  return h;
}
