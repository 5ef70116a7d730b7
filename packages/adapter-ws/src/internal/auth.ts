/**
 * Authentication of upgrade requests, in the same forms as HttpSource: bearer
 * tokens, basic credentials, a header holding one of a list of values, or a
 * function. Secrets are compared in constant time: both sides are hashed to
 * the same length first, and every candidate is checked (no early exit), so
 * neither the length nor the position of a match leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkString, showValue, type OptionIssues } from '@logpath/core';
import { isPlainObject } from './validate.js';

/**
 * How upgrade requests authenticate. Tokens (bearer and header forms) may also
 * come as a query parameter (`?token=…` by default; browsers cannot set
 * headers on a WebSocket); `queryParam: false` turns that off. The parameter
 * never becomes a message field.
 */
export type WebSocketAuth =
  | { bearer: readonly string[]; queryParam?: string | false }
  | { basic: { username: string; password: string } }
  | { header: string; values: readonly string[]; queryParam?: string | false }
  | ((req: IncomingMessage) => boolean | Promise<boolean>);

/** A compiled auth check. */
export interface AuthCheck {
  /** True when the request may open a connection. */
  verify(req: IncomingMessage, query: URLSearchParams): boolean | Promise<boolean>;
  /** WWW-Authenticate value sent with a 401, if any. */
  readonly challenge: string | undefined;
  /** Query parameter holding the token; excluded from the message fields. */
  readonly queryParam: string | undefined;
}

const DEFAULT_QUERY_PARAM = 'token';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time membership: compares against every candidate, whatever matches. */
function matchesAny(given: string | undefined, candidates: readonly Buffer[]): boolean {
  const d = digest(given ?? '');
  let ok = 0;
  for (const c of candidates) ok |= timingSafeEqual(d, c) ? 1 : 0;
  return ok === 1 && given !== undefined;
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
  return Array.isArray(v) ? v[0] : v;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const h = firstHeader(req, 'authorization');
  if (h === undefined) return undefined;
  const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m?.[1];
}

/** A list of secrets: checked without ever echoing them in an error. */
function isSecretList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0);
}

/** Describes a value by its shape only: auth options hold secrets. */
function kind(v: unknown): string {
  if (Array.isArray(v))
    return v.length === 0
      ? 'an empty array'
      : 'an array holding something else than non-empty strings';
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : 'a string';
  if (typeof v === 'object') return `an object with keys ${showValue(Object.keys(v))}`;
  return typeof v;
}

function queryParamOption(issues: OptionIssues, where: string, v: unknown): string | undefined {
  if (v === undefined) return DEFAULT_QUERY_PARAM;
  if (v === false) return undefined;
  return checkString(issues, `${where}.queryParam`, v) ? v : undefined;
}

/**
 * Validates `auth` and compiles it into a check; pushes issues instead of throwing.
 * Returns undefined when there is no auth (or it is invalid).
 */
export function compileAuth(
  issues: OptionIssues,
  where: string,
  auth: unknown,
): AuthCheck | undefined {
  if (auth === undefined) return undefined;
  if (typeof auth === 'function') {
    const fn = auth as (req: IncomingMessage) => boolean | Promise<boolean>;
    return { verify: (req) => fn(req), challenge: undefined, queryParam: undefined };
  }
  if (!isPlainObject(auth)) {
    issues.push(
      `${where} must be { bearer }, { basic }, { header, values } or a function, got ${kind(auth)}`,
    );
    return undefined;
  }
  if ('bearer' in auth) {
    if (!isSecretList(auth.bearer)) {
      issues.push(
        `${where}.bearer must list at least one token (non-empty strings), got ${kind(auth.bearer)}`,
      );
      return undefined;
    }
    const tokens = auth.bearer.map(digest);
    const param = queryParamOption(issues, where, auth.queryParam);
    return {
      verify: (req, query) =>
        matchesAny(
          bearerToken(req) ?? (param ? (query.get(param) ?? undefined) : undefined),
          tokens,
        ),
      challenge: 'Bearer realm="logpath"',
      queryParam: param,
    };
  }
  if ('basic' in auth) {
    const b = auth.basic;
    if (!isPlainObject(b) || typeof b.username !== 'string' || typeof b.password !== 'string') {
      issues.push(`${where}.basic must be { username: string, password: string }, got ${kind(b)}`);
      return undefined;
    }
    const user = [digest(b.username)];
    const pass = [digest(b.password)];
    return {
      verify: (req) => {
        const h = firstHeader(req, 'authorization');
        const m = h === undefined ? null : /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(h);
        const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        const u = colon < 0 ? undefined : decoded.slice(0, colon);
        const p = colon < 0 ? undefined : decoded.slice(colon + 1);
        // Both compared, whatever the first result, so timing tells nothing.
        const okUser = matchesAny(u, user);
        const okPass = matchesAny(p, pass);
        return okUser && okPass;
      },
      challenge: 'Basic realm="logpath", charset="UTF-8"',
      queryParam: undefined,
    };
  }
  if ('header' in auth) {
    const header = auth.header;
    const list = auth.values;
    const okName = checkString(issues, `${where}.header`, header);
    if (!isSecretList(list)) {
      issues.push(
        `${where}.values must list at least one value (non-empty strings), got ${kind(list)}`,
      );
      return undefined;
    }
    if (!okName) return undefined;
    const name = (header as string).toLowerCase();
    const values = list.map(digest);
    const param = queryParamOption(issues, where, auth.queryParam);
    return {
      verify: (req, query) =>
        matchesAny(
          firstHeader(req, name) ?? (param ? (query.get(param) ?? undefined) : undefined),
          values,
        ),
      challenge: undefined,
      queryParam: param,
    };
  }
  issues.push(
    `${where} must have "bearer", "basic" or "header", got keys ${showValue(Object.keys(auth))}`,
  );
  return undefined;
}
