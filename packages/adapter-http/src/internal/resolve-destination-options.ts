import {
  checkBoolean,
  checkInt,
  checkKnownKeys,
  checkMs,
  checkOneOf,
  checkString,
  showValue,
  type OptionIssues,
} from '@logpath/core';
import {
  HTTP_DESTINATION_DEFAULTS,
  type HttpDestinationOptions,
  type ResolvedHttpDestinationOptions,
} from '../http-destination-options.js';
import { checkPositiveMs, isPlainObject, throwIfIssues } from './validate.js';

const KNOWN = ['url', ...Object.keys(HTTP_DESTINATION_DEFAULTS)];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Applies defaults and validates every option.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveDestinationOptions(
  input: HttpDestinationOptions | undefined,
): ResolvedHttpDestinationOptions {
  const issues: OptionIssues = [];
  if (!isPlainObject(input)) {
    throwIfIssues([
      `HttpDestination options must be an object with at least { url }, got ${showValue(input)}`,
    ]);
  }
  const v = input as unknown as Record<string, unknown>;
  checkKnownKeys(issues, 'HttpDestination', v, KNOWN);
  const o: ResolvedHttpDestinationOptions = { ...HTTP_DESTINATION_DEFAULTS, url: '' };
  if (checkString(issues, 'url', v.url)) {
    if (/^https?:\/\//i.test(v.url) || v.url.startsWith('$')) o.url = v.url;
    else
      issues.push(
        `url must start with http:// or https:// (or be a template that expands to such a URL), got ${showValue(v.url)}`,
      );
  }
  const set = <K extends keyof ResolvedHttpDestinationOptions>(
    key: K,
    ok: (value: unknown) => boolean,
  ): void => {
    if (v[key] !== undefined && ok(v[key])) o[key] = v[key] as ResolvedHttpDestinationOptions[K];
  };
  set('method', (x) => checkOneOf(issues, 'method', x, ['POST', 'PUT', 'PATCH']));
  set('headers', (x) => {
    const ok =
      isPlainObject(x) &&
      Object.entries(x).every(
        ([k, val]) => TOKEN.test(k) && typeof val === 'string' && !/[\r\n]/.test(val),
      );
    if (!ok)
      issues.push(`headers must map header names to single-line strings, got ${showValue(x)}`);
    return ok;
  });
  set('auth', (x) => checkAuth(issues, x));
  set('format', (x) => {
    if (x === 'ndjson' || x === 'json-array') return true;
    if (isPlainObject(x) && typeof x.template === 'string' && x.template.length > 0) return true;
    issues.push(
      `format must be "ndjson", "json-array" or { template: "..." }, got ${showValue(x)}`,
    );
    return false;
  });
  set('gzip', (x) => checkBoolean(issues, 'gzip', x));
  set('timeout', (x) => checkPositiveMs(issues, 'timeout', x));
  set('maxSockets', (x) => checkInt(issues, 'maxSockets', x, 1));
  set('maxRetryAfter', (x) => checkMs(issues, 'maxRetryAfter', x));
  set('tls', (x) => {
    if (isPlainObject(x)) {
      const before = issues.length;
      checkKnownKeys(issues, 'tls', x, ['ca', 'cert', 'key', 'rejectUnauthorized']);
      if (x.rejectUnauthorized !== undefined)
        checkBoolean(issues, 'tls.rejectUnauthorized', x.rejectUnauthorized);
      return issues.length === before;
    }
    issues.push(
      `tls must be an object like { ca, cert, key, rejectUnauthorized }, got ${showValue(x)}`,
    );
    return false;
  });
  throwIfIssues(issues);
  return o;
}

function checkAuth(issues: OptionIssues, x: unknown): boolean {
  const secret = '(value not shown: it holds a secret)';
  if (isPlainObject(x) && typeof x.bearer === 'string' && x.bearer.length > 0) return true;
  if (isPlainObject(x) && isPlainObject(x.basic)) {
    const { username, password } = x.basic;
    if (typeof username === 'string' && typeof password === 'string' && !username.includes(':'))
      return true;
    issues.push(
      `auth.basic must be { username, password } with strings and no ":" in username ${secret}`,
    );
    return false;
  }
  if (
    isPlainObject(x) &&
    typeof x.header === 'string' &&
    TOKEN.test(x.header) &&
    typeof x.value === 'string'
  )
    return true;
  issues.push(
    `auth must be { bearer: token }, { basic: { username, password } } or { header, value } ${secret}`,
  );
  return false;
}
