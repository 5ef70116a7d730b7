import {
  ConfigError,
  ErrorCode,
  checkKnownKeys,
  checkMs,
  checkOneOf,
  checkString,
  showValue,
  type OptionIssues,
} from '@logpath/core';
import { compileJsonPath, type JsonPath } from './internal/json-path.js';
import { checkObject, isPlainObject } from './internal/validate.js';

/** Credentials of {@link HttpPollerOptions.auth}: HTTP Basic, or a bearer token. */
export type HttpPollerAuth = { username: string; password: string } | { bearer: string };

/**
 * Where the poller finds the position to resume from, and how it sends it
 * back: as the query parameter `param` of the next request.
 */
export interface HttpPollerCursor {
  /** Query parameter that carries the cursor, e.g. `"after"`. Required. */
  param: string;
  /** JSON path of the next cursor in the response body (`json` format only), e.g. `"meta.next"`. */
  path?: string;
  /** Take the next cursor from the `Link: <…>; rel="next"` header: the value of `param` in that URL. */
  link?: boolean;
  /** JSON path of a boolean "there are more pages" flag (`json` format only). Default: more while the page is not empty and the cursor moves. */
  more?: string;
  /** Cursor of the first request when none is saved yet. Default: no parameter. */
  initial?: string;
  /**
   * Least time between two durable writes of the position, in ms: each is an
   * fsync that blocks the event loop. A position waits at most this long to be
   * saved, so after a crash the messages delivered in the last `saveInterval`
   * ms are read again, on top of those in flight. 0 saves after every
   * delivered page (at most once per event-loop turn). Default 1000, like
   * Kafka consumers' commit intervals.
   */
  saveInterval?: number;
}

/** Options of {@link HttpPoller}, given as the source's `options`. */
export interface HttpPollerOptions {
  /** The endpoint, `http:` or `https:`. Required. */
  url: string;
  /** HTTP method. Default `"GET"`. */
  method?: string;
  /** Extra request headers. Default none (an `Accept` matching `format` is added unless set). */
  headers?: Record<string, string>;
  /** Request body (not with GET or HEAD). Default none. */
  body?: string;
  /** Basic or bearer credentials. Default none. */
  auth?: HttpPollerAuth;
  /** Wait when there is nothing new (the fetcher's no-data delay), in ms. Default 1000. */
  interval?: number;
  /** Limit on one request, body included, in ms. Default 10000. */
  timeout?: number;
  /** Wait after a failure (network error, 5xx, timeout), in ms. Default 1000. */
  timeReopen?: number;
  /** Response format: a `json` document, `ndjson` (one JSON value a line) or `text` (one message a line). Default `"json"`. */
  format?: 'json' | 'ndjson' | 'text';
  /** JSON path of the array of items (`json` format). Default `""`: the document is the array. */
  items?: string;
  /** Resume from a cursor, saved once the messages before it are delivered. Default none: every poll repeats the same request. */
  cursor?: HttpPollerCursor;
}

/** Defaults of {@link HttpPollerOptions}. */
export const DEFAULT_HTTP_POLLER_OPTIONS = Object.freeze({
  method: 'GET',
  interval: 1000,
  timeout: 10_000,
  timeReopen: 1000,
  format: 'json',
  items: '',
} as const);

const KNOWN = [
  'url',
  'method',
  'headers',
  'body',
  'auth',
  'interval',
  'timeout',
  'timeReopen',
  'format',
  'items',
  'cursor',
];
const CURSOR_KNOWN = ['param', 'path', 'link', 'more', 'initial', 'saveInterval'];
const DEFAULT_SAVE_INTERVAL = 1000;
const FORMATS = ['json', 'ndjson', 'text'] as const;
const ACCEPT = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  text: 'text/plain',
} as const;

/** Options after validation, in the shape the poller uses per request. @internal */
export interface ResolvedPollerOptions {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly interval: number;
  readonly timeout: number;
  readonly timeReopen: number;
  readonly format: 'json' | 'ndjson' | 'text';
  readonly items: JsonPath;
  readonly cursor:
    | {
        param: string;
        path: JsonPath | undefined;
        link: boolean;
        more: JsonPath | undefined;
        initial: string | null;
        saveInterval: number;
      }
    | undefined;
}

/**
 * Validates the options and reports every problem at once.
 * @throws ConfigError (ERR_INVALID_OPTION) whose issues name each option, the expectation and the value.
 * @internal
 */
export function resolvePollerOptions(input: unknown): ResolvedPollerOptions {
  const issues: OptionIssues = [];
  if (!isPlainObject(input))
    throw new ConfigError(`options must be an object, got ${showValue(input)}`, {
      code: ErrorCode.INVALID_OPTION,
    });
  const o = input as Partial<HttpPollerOptions> & Record<string, unknown>;
  const d = DEFAULT_HTTP_POLLER_OPTIONS;
  checkKnownKeys(issues, 'options', o, KNOWN);
  if ('fetchNoDataDelay' in o)
    issues.push('options.fetchNoDataDelay: HttpPoller calls it "interval"');

  let url = '';
  if (checkString(issues, 'url', o.url)) {
    try {
      const u = new URL(o.url);
      if (u.protocol === 'http:' || u.protocol === 'https:') url = u.href;
      else issues.push(`url must be an http: or https: URL, got ${showValue(o.url)}`);
    } catch {
      issues.push(`url must be an absolute URL, got ${showValue(o.url)}`);
    }
  }
  const method =
    o.method === undefined
      ? d.method
      : checkString(issues, 'method', o.method)
        ? o.method.toUpperCase()
        : d.method;
  const format =
    o.format === undefined || checkOneOf(issues, 'format', o.format, FORMATS)
      ? (o.format ?? d.format)
      : d.format;
  const ms = (name: 'interval' | 'timeout' | 'timeReopen'): number => {
    const v = o[name];
    return v === undefined || !checkMs(issues, name, v) ? d[name] : v;
  };
  const interval = ms('interval');
  const timeout = ms('timeout');
  const timeReopen = ms('timeReopen');
  if (timeout === 0) issues.push('timeout must be more than 0 ms, got 0');

  const headers: Record<string, string> = { accept: ACCEPT[format] };
  if (o.headers !== undefined && checkObject(issues, 'headers', o.headers)) {
    for (const [k, v] of Object.entries(o.headers)) {
      if (typeof v === 'string') headers[k.toLowerCase()] = v;
      else issues.push(`headers.${k} must be a string, got ${showValue(v)}`);
    }
  }
  if (o.auth !== undefined) resolveAuth(issues, o.auth, headers);

  if (o.body !== undefined) {
    if (typeof o.body !== 'string') issues.push(`body must be a string, got ${showValue(o.body)}`);
    else if (method === 'GET' || method === 'HEAD')
      issues.push(`body cannot be sent with method ${method}`);
  }

  const itemsText = o.items ?? d.items;
  let items: JsonPath = [];
  if (typeof itemsText !== 'string')
    issues.push(`items must be a dotted JSON path, got ${showValue(itemsText)}`);
  else if (itemsText !== '' && format !== 'json')
    issues.push(`items applies to format "json" only, got format "${format}"`);
  else items = path(issues, 'items', itemsText) ?? [];

  const cursor = o.cursor === undefined ? undefined : resolveCursor(issues, o.cursor, format);
  if (issues.length > 0) throw new ConfigError(issues, { code: ErrorCode.INVALID_OPTION });
  return {
    url,
    method,
    headers,
    body: typeof o.body === 'string' ? o.body : undefined,
    interval,
    timeout,
    timeReopen,
    format,
    items,
    cursor,
  };
}

function resolveAuth(issues: OptionIssues, auth: unknown, headers: Record<string, string>): void {
  if (isPlainObject(auth) && typeof auth.bearer === 'string' && Object.keys(auth).length === 1) {
    headers.authorization = `Bearer ${auth.bearer}`;
  } else if (
    isPlainObject(auth) &&
    typeof auth.username === 'string' &&
    typeof auth.password === 'string' &&
    Object.keys(auth).length === 2
  ) {
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  } else {
    issues.push(
      `auth must be { username, password } or { bearer }, got ${isPlainObject(auth) ? `an object with ${Object.keys(auth).join(', ') || 'no keys'}` : showValue(auth)}`,
    );
  }
}

function resolveCursor(
  issues: OptionIssues,
  c: unknown,
  format: string,
): ResolvedPollerOptions['cursor'] {
  if (!checkObject(issues, 'cursor', c)) return undefined;
  checkKnownKeys(issues, 'cursor', c, CURSOR_KNOWN);
  const param = checkString(issues, 'cursor.param', c.param) ? c.param : '';
  const link = c.link === true;
  if (c.link !== undefined && typeof c.link !== 'boolean')
    issues.push(`cursor.link must be true or false, got ${showValue(c.link)}`);
  const hasPath = c.path !== undefined;
  if (hasPath === link)
    issues.push(
      'cursor needs exactly one of "path" (a JSON path in the body) or "link: true" (the Link header)',
    );
  if ((hasPath || c.more !== undefined) && format !== 'json') {
    issues.push(`cursor.path and cursor.more apply to format "json" only, got format "${format}"`);
  }
  const jsonPath = hasPath ? checkPathText(issues, 'cursor.path', c.path) : undefined;
  const more = c.more !== undefined ? checkPathText(issues, 'cursor.more', c.more) : undefined;
  let initial: string | null = null;
  if (c.initial !== undefined && checkString(issues, 'cursor.initial', c.initial))
    initial = c.initial;
  let saveInterval = DEFAULT_SAVE_INTERVAL;
  if (c.saveInterval !== undefined && checkMs(issues, 'cursor.saveInterval', c.saveInterval)) {
    saveInterval = c.saveInterval;
  }
  return { param, path: jsonPath, link, more, initial, saveInterval };
}

function checkPathText(issues: OptionIssues, name: string, value: unknown): JsonPath | undefined {
  if (!checkString(issues, name, value)) return undefined;
  return path(issues, name, value);
}

function path(issues: OptionIssues, name: string, text: string): JsonPath | undefined {
  const p = compileJsonPath(text);
  if (p === undefined)
    issues.push(`${name} must be a dotted JSON path like "data.items", got ${showValue(text)}`);
  return p;
}
