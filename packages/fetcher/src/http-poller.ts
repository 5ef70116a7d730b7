import http from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { ConsecutiveAckTracker, LogMessage, Persist, type JsonValue } from '@logpath/core';
import fetch, { FetchError } from 'node-fetch';
import { FetchStatus, type FetchResult } from './fetch-status.js';
import {
  resolvePollerOptions,
  type HttpPollerOptions,
  type ResolvedPollerOptions,
} from './http-poller-options.js';
import { CursorStore } from './internal/cursor-store.js';
import { nextLink } from './internal/link-header.js';
import { PageError, parsePage } from './internal/parse-page.js';
import { retryAfterMs } from './internal/retry-after.js';
import { LogFetcher } from './log-fetcher.js';

/** A response read whole, or the status a failed exchange maps to. */
type Exchange =
  | { readonly ok: true; readonly status: number; readonly headers: Headers; readonly text: string }
  | { readonly ok: false; readonly result: FetchResult };

interface Headers {
  get(name: string): string | null;
}

const EXCERPT = 200;

/**
 * A ready fetcher for REST APIs (node-fetch): polls `url`, turns each item of
 * the response into a message, follows the cursor page by page until the API
 * says there is no more, then polls again every `interval` ms. While there
 * are more pages, the next one is requested while the current one is posted
 * (one request ahead at most).
 *
 * Each item becomes MESSAGE: strings as they are, other JSON values as values
 * (`getAsString('MESSAGE')` and templates give their JSON text). One page is
 * one batch.
 *
 * | response | status |
 * | --- | --- |
 * | 2xx with items | SUCCESS (next page at once while there are more) |
 * | 2xx, empty page | TRY_AGAIN while there are more, else NO_DATA |
 * | 304 (after `If-None-Match` with the last `ETag`) | NO_DATA |
 * | 429 | waits `Retry-After`, then TRY_AGAIN (NO_DATA without the header) |
 * | 5xx, other 4xx, a body that does not fit `format`, a timeout | ERROR |
 * | connection refused, reset or dropped | NOT_CONNECTED |
 *
 * With `cursor`, each message's bookmark is the position to resume from once
 * it is delivered, and the position after the last fully delivered page is
 * saved with `Persist` (at most every `cursor.saveInterval` ms, and at stop):
 * a restart resumes where delivery stopped, with duplicates only for the
 * messages in flight and those delivered since the last save.
 *
 * @example
 * sources: { audit: { class: HttpPoller, options: {
 *   url: 'https://api.example.com/v1/events', items: 'data', interval: 5000,
 *   auth: { bearer: process.env.TOKEN! }, cursor: { param: 'after', path: 'next_cursor' },
 * } } }
 */
export class HttpPoller extends LogFetcher<HttpPollerOptions> {
  /** The persist name is derived from the URL, so two pollers of different URLs keep separate cursors. */
  static generatePersistName(options: HttpPollerOptions): string {
    return String(options.url);
  }

  #o!: ResolvedPollerOptions;
  #agent: http.Agent | undefined;
  #cursor: string | null = null;
  #store: CursorStore | undefined;
  #caughtUp = false;
  #etag: string | undefined;
  #etagUrl: string | undefined;
  /** The next page, requested while the current one is being posted. */
  #prefetched: { readonly href: string; readonly reply: Promise<Exchange> } | undefined;

  /** The cursor the next request sends (`null`: none); saved positions may lag behind it. */
  get cursor(): string | null {
    return this.#cursor;
  }

  /**
   * Validates the options and loads the saved cursor.
   * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
   */
  override init(options: HttpPollerOptions): void {
    const o = resolvePollerOptions(options);
    this.#o = o;
    this.fetchNoDataDelay = o.interval;
    this.timeReopen = o.timeReopen;
    this.setTransportName(o.url.startsWith('https:') ? 'https-poll' : 'http-poll');
    if (o.cursor) {
      const store = new CursorStore(new Persist(this.persistName), o.cursor.saveInterval);
      this.#store = store;
      this.#cursor = store.saved ?? o.cursor.initial;
      this.ackTracker = new ConsecutiveAckTracker((bookmark) =>
        store.advance(bookmark as string | null),
      );
      if (store.saved !== undefined)
        this.logger.info(`resuming from saved cursor ${JSON.stringify(store.saved)}`);
    }
  }

  /** Saves the last delivered position. */
  override deinit(): void {
    this.#store?.close();
  }

  /** Starts a keep-alive connection pool. */
  override open(): boolean {
    const Agent = this.#o.url.startsWith('https:') ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true });
    return true;
  }

  /** Drops the pool's connections, so the next open() starts afresh. */
  override close(): void {
    this.#prefetched = undefined;
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  /** One request: a page, or the status the response maps to. */
  override async fetch(): Promise<FetchResult> {
    if (this.#caughtUp) {
      // The last page said there is no more: wait `interval` before asking again.
      this.#caughtUp = false;
      return FetchStatus.NO_DATA;
    }
    const o = this.#o;
    const cur = this.#cursor;
    const href = this.#href(cur);
    const pre = this.#prefetched;
    this.#prefetched = undefined;
    const x = await (pre?.href === href ? pre.reply : this.#exchange(href));
    if (!x.ok) return x.result;
    const status = x.status;
    if (status === 304) return FetchStatus.NO_DATA;
    if (status === 429) return this.#throttled(x.headers.get('retry-after'));
    if (status < 200 || status > 299) {
      this.logger.error(`HTTP ${status} from ${o.method} ${href}: ${excerpt(x.text)}`);
      return FetchStatus.ERROR;
    }
    try {
      return this.#page(x, href, cur);
    } catch (err) {
      const what =
        err instanceof SyntaxError
          ? `not valid ${o.format === 'json' ? 'JSON' : o.format}: ${err.message}`
          : (err as Error).message;
      this.logger.error(
        `response of ${o.method} ${href} does not fit: ${what}; body: ${excerpt(x.text)}`,
      );
      return FetchStatus.ERROR;
    }
  }

  /** Turns a 2xx body into messages and moves the cursor. */
  #page(x: Exchange & { ok: true }, href: string, cur: string | null): FetchResult {
    const o = this.#o;
    const page = parsePage(x.text, o);
    let next = page.next;
    const c = o.cursor;
    if (c?.link) {
      const link = nextLink(x.headers.get('link'), href);
      if (link !== undefined) {
        const v = link.searchParams.get(c.param);
        if (v === null)
          throw new PageError(`the rel="next" link ${link.href} has no "${c.param}" parameter`);
        next = v === '' ? undefined : v;
      }
    }
    const etag = x.headers.get('etag');
    this.#etag = etag ?? undefined;
    this.#etagUrl = etag === null ? undefined : href;
    const items = page.items;
    const n = items.length;
    const moved = next !== undefined && next !== cur;
    if (moved) this.#cursor = next!;
    const more = moved && (page.more ?? n > 0);
    if (more && !this.signal.aborted) {
      // Pipelined pagination: the server works on the next page while this one is posted.
      const nextHref = this.#href(this.#cursor);
      this.#prefetched = { href: nextHref, reply: this.#exchange(nextHref) };
    }
    if (n === 0) return more ? FetchStatus.TRY_AGAIN : FetchStatus.NO_DATA;
    if (!more) this.#caughtUp = true;
    // Resuming from `cur` re-reads this page; only its last message may carry the position after it.
    const tracked = c !== undefined;
    const after = this.#cursor;
    const msgs = new Array<LogMessage>(n);
    for (let i = 0; i < n; i++) {
      const item = items[i];
      const bookmark = tracked ? (i === n - 1 ? after : cur) : undefined;
      msgs[i] =
        typeof item === 'string'
          ? new LogMessage(item, bookmark)
          : new LogMessage(undefined, bookmark).set('MESSAGE', item as JsonValue);
    }
    return [FetchStatus.SUCCESS, msgs];
  }

  async #throttled(header: string | null): Promise<FetchResult> {
    const wait = retryAfterMs(header);
    if (wait === undefined) {
      this.logger.warn(
        `HTTP 429 without a usable Retry-After (${JSON.stringify(header)}); polling again in ${this.fetchNoDataDelay} ms`,
      );
      return FetchStatus.NO_DATA;
    }
    this.logger.warn(`HTTP 429: waiting ${wait} ms as Retry-After asks`);
    await delay(wait, undefined, { signal: this.signal }).catch(() => {});
    return FetchStatus.TRY_AGAIN;
  }

  /** The URL that asks for the page at `cursor`. */
  #href(cursor: string | null): string {
    const o = this.#o;
    if (o.cursor === undefined || cursor === null) return o.url;
    const u = new URL(o.url);
    u.searchParams.set(o.cursor.param, cursor);
    return u.href;
  }

  /**
   * Sends the request (conditional when the last response for `href` had an
   * ETag) and reads the whole body, within `timeout`; exit aborts it. Never rejects.
   */
  async #exchange(href: string): Promise<Exchange> {
    const o = this.#o;
    const headers =
      this.#etagUrl === href ? { ...o.headers, 'if-none-match': this.#etag! } : o.headers;
    const ac = new AbortController();
    let timedOut = false;
    const onExit = (): void => ac.abort();
    if (this.signal.aborted) ac.abort();
    else this.signal.addEventListener('abort', onExit, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, o.timeout);
    try {
      const res = await fetch(href, {
        method: o.method,
        headers,
        body: o.body,
        signal: ac.signal,
        agent: this.#agent,
      });
      const text = res.status === 304 ? '' : await res.text();
      return { ok: true, status: res.status, headers: res.headers, text };
    } catch (err) {
      if (this.signal.aborted) return { ok: false, result: FetchStatus.ERROR }; // exit: nobody is listening
      if (timedOut) {
        this.logger.error(`${o.method} ${href} timed out after ${o.timeout} ms`);
        return { ok: false, result: FetchStatus.ERROR };
      }
      if (err instanceof FetchError && (err.type === 'system' || err.type === undefined)) {
        this.logger.warn(`${o.method} ${href} failed: ${err.message}`);
        return { ok: false, result: FetchStatus.NOT_CONNECTED };
      }
      this.logger.error(`${o.method} ${href} failed`, err);
      return { ok: false, result: FetchStatus.ERROR };
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onExit);
    }
  }
}

function excerpt(text: string): string {
  const t = text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
  return JSON.stringify(t);
}
