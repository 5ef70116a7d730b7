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
  HTTP_SOURCE_DEFAULTS,
  type HttpSourceOptions,
  type ResolvedHttpSourceOptions,
} from '../http-source-options.js';
import { checkPositiveMs, checkStringList, isPlainObject, throwIfIssues } from './validate.js';

const FORMATS = ['auto', 'json', 'ndjson', 'text', 'raw', 'syslog'] as const;
const KNOWN = Object.keys(HTTP_SOURCE_DEFAULTS);
const METHOD = /^[A-Z]+$/;

/**
 * Applies defaults and validates every option.
 * @throws ConfigError (ERR_INVALID_OPTION) listing every invalid option.
 */
export function resolveSourceOptions(
  input: HttpSourceOptions | undefined,
): ResolvedHttpSourceOptions {
  const issues: OptionIssues = [];
  const o: ResolvedHttpSourceOptions = { ...HTTP_SOURCE_DEFAULTS };
  if (input === undefined || input === null) return o;
  if (!isPlainObject(input)) {
    throwIfIssues([`HttpSource options must be an object, got ${showValue(input)}`]);
    return o;
  }
  checkKnownKeys(issues, 'HttpSource', input, KNOWN);
  const v = input as Record<string, unknown>;
  const set = <K extends keyof ResolvedHttpSourceOptions>(
    key: K,
    ok: (value: unknown) => boolean,
  ): void => {
    if (v[key] !== undefined && ok(v[key])) o[key] = v[key] as ResolvedHttpSourceOptions[K];
  };
  set('host', (x) => checkString(issues, 'host', x));
  set('port', (x) => checkInt(issues, 'port', x, 0, 65535));
  set('listen', (x) => checkBoolean(issues, 'listen', x));
  set('path', (x) => checkPath(issues, 'path', x));
  set('methods', (x) => {
    if (!checkStringList(issues, 'methods', x, false)) return false;
    const bad = x.filter((m) => !METHOD.test(m) || m === 'GET' || m === 'HEAD' || m === 'OPTIONS');
    if (bad.length === 0) return true;
    issues.push(
      `methods must hold upper-case methods with a body (not GET, HEAD or OPTIONS), got ${showValue(x)}`,
    );
    return false;
  });
  set('format', (x) => checkOneOf(issues, 'format', x, FORMATS));
  set('messageField', (x) => checkString(issues, 'messageField', x));
  set('headers', (x) => checkStringList(issues, 'headers', x, true));
  set('trustProxy', (x) => checkBoolean(issues, 'trustProxy', x));
  set('cors', (x) => checkCors(issues, x));
  set('maxBodyBytes', (x) => checkInt(issues, 'maxBodyBytes', x, 1));
  set('maxLineBytes', (x) => checkInt(issues, 'maxLineBytes', x, 1));
  set('maxMessages', (x) => checkInt(issues, 'maxMessages', x, 1));
  set('auth', (x) => checkAuth(issues, x));
  set('tls', (x) => checkTls(issues, x));
  set('respond', (x) => checkOneOf(issues, 'respond', x, ['accepted', 'delivered']));
  set('deliveryTimeout', (x) => checkPositiveMs(issues, 'deliveryTimeout', x));
  set('busyStatus', (x) => {
    if (x === 429 || x === 503) return true;
    issues.push(`busyStatus must be one of 429, 503, got ${showValue(x)}`);
    return false;
  });
  set('retryAfter', (x) => checkMs(issues, 'retryAfter', x));
  set('healthPath', (x) => x === false || checkPath(issues, 'healthPath', x));
  set('requestTimeout', (x) => checkPositiveMs(issues, 'requestTimeout', x));
  set('headersTimeout', (x) => checkPositiveMs(issues, 'headersTimeout', x));
  set('keepAliveTimeout', (x) => checkMs(issues, 'keepAliveTimeout', x));
  set('shutdownTimeout', (x) => checkMs(issues, 'shutdownTimeout', x));
  if (o.headersTimeout > o.requestTimeout) {
    issues.push(
      `headersTimeout (${o.headersTimeout} ms) must not exceed requestTimeout (${o.requestTimeout} ms)`,
    );
  }
  if (o.maxLineBytes > o.maxBodyBytes) o.maxLineBytes = o.maxBodyBytes;
  o.methods = Object.freeze([...o.methods]);
  o.headers = Object.freeze(o.headers.map((h) => h.toLowerCase()));
  throwIfIssues(issues);
  return o;
}

function checkPath(issues: OptionIssues, name: string, x: unknown): boolean {
  if (typeof x === 'string' && x.startsWith('/')) return true;
  issues.push(`${name} must be a string starting with "/", got ${showValue(x)}`);
  return false;
}

function checkCors(issues: OptionIssues, x: unknown): boolean {
  if (!isPlainObject(x)) {
    issues.push(
      `cors must be an object like { origin: "https://app.example.com" }, got ${showValue(x)}`,
    );
    return false;
  }
  const before = issues.length;
  checkKnownKeys(issues, 'cors', x, ['origin', 'credentials']);
  if (typeof x.origin !== 'string' || x.origin.length === 0)
    checkStringList(issues, 'cors.origin', x.origin, false);
  if (x.credentials !== undefined) checkBoolean(issues, 'cors.credentials', x.credentials);
  if (x.credentials === true && x.origin === '*') {
    issues.push(
      'cors.credentials cannot be true with cors.origin "*" (browsers refuse it); list the origins',
    );
  }
  return issues.length === before;
}

function checkAuth(issues: OptionIssues, x: unknown): boolean {
  if (typeof x === 'function') return true;
  const before = issues.length;
  if (isPlainObject(x) && 'bearer' in x) {
    checkKnownKeys(issues, 'auth', x, ['bearer']);
    checkSecrets(issues, 'auth.bearer', x.bearer);
  } else if (isPlainObject(x) && 'basic' in x) {
    checkKnownKeys(issues, 'auth', x, ['basic']);
    const b = x.basic;
    if (
      !isPlainObject(b) ||
      typeof b.username !== 'string' ||
      typeof b.password !== 'string' ||
      b.username.includes(':')
    ) {
      issues.push(
        'auth.basic must be { username, password } with strings, and no ":" in username (value not shown: it holds a secret)',
      );
    }
  } else if (isPlainObject(x) && 'header' in x) {
    checkKnownKeys(issues, 'auth', x, ['header', 'values']);
    checkString(issues, 'auth.header', x.header);
    checkSecrets(issues, 'auth.values', x.values);
  } else {
    issues.push(
      `auth must be { bearer: [...] }, { basic: { username, password } }, { header, values } or a function, got ${showValue(x)}`,
    );
  }
  return issues.length === before;
}

/** Like checkStringList, without echoing the secrets into the error. */
function checkSecrets(issues: OptionIssues, name: string, x: unknown): void {
  if (Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'string' && v.length > 0))
    return;
  issues.push(
    `${name} must be a non-empty array of non-empty strings (value not shown: it holds secrets)`,
  );
}

function checkTls(issues: OptionIssues, x: unknown): boolean {
  const pem = (p: unknown): boolean =>
    (typeof p === 'string' && p.length > 0) || Buffer.isBuffer(p);
  if (!isPlainObject(x) || !pem(x.key) || !pem(x.cert)) {
    issues.push(
      'tls must be { key, cert, ca?, requestClientCert? } with PEM strings or Buffers for key and cert',
    );
    return false;
  }
  const before = issues.length;
  checkKnownKeys(issues, 'tls', x, ['key', 'cert', 'ca', 'requestClientCert']);
  if (x.ca !== undefined && !pem(x.ca) && !(Array.isArray(x.ca) && x.ca.every(pem))) {
    issues.push('tls.ca must be a PEM string, a Buffer or a list of them');
  }
  if (x.requestClientCert !== undefined)
    checkBoolean(issues, 'tls.requestClientCert', x.requestClientCert);
  return issues.length === before;
}
