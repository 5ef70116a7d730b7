import { parse as parseQuery } from 'node:querystring';
import { LogMessage, type LogValue } from '@logpath/core';
import type { Request } from 'express';

/** What to take from each request, fixed at init. */
export interface FieldSpec {
  /** Lower-case request header names copied into `HTTP.HEADERS.<name>`. */
  readonly headers: readonly string[];
  /** SOURCEIP from the first X-Forwarded-For entry. */
  readonly trustProxy: boolean;
  /**
   * TRANSPORT as the source sets it (setTransportName), last in the template
   * too: the runtime's own set then finds it instead of growing every message.
   */
  readonly transport?: string;
}

/**
 * The fields every message of one request gets, collected once per request
 * (name and value lists, so the per-message loop is only `set` calls).
 */
export interface RequestFields {
  readonly names: string[];
  readonly values: LogValue[];
  readonly ip: string;
  readonly port: number | undefined;
  /** All of them on one message: JSON messages copy its fields in one go (LogMessage.fromJsonText). */
  readonly template: LogMessage;
  /** The receive time every message of the request shares. */
  readonly receivedAt: number;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
/** Query parameters copied per request, at most. */
export const MAX_QUERY_FIELDS = 100;

/** Collects SOURCEIP/SOURCEPORT and the `HTTP.*` fields of a request. */
export function collectFields(req: Request, spec: FieldSpec): RequestFields {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  const names: string[] = ['HTTP.METHOD', 'HTTP.PATH'];
  const values: LogValue[] = [req.method, q < 0 ? url : url.slice(0, q)];
  const params = req.params as Record<string, string | string[]> | undefined;
  if (params !== undefined) {
    for (const key in params) {
      names.push(`HTTP.PARAMS.${key}`);
      values.push(params[key]!);
    }
  }
  if (q >= 0 && q < url.length - 1) {
    // Capped: every field is set on every message of the request.
    const query = parseQuery(url.slice(q + 1), '&', '=', { maxKeys: MAX_QUERY_FIELDS });
    for (const key in query) {
      names.push(`HTTP.QUERY.${key}`);
      values.push(query[key]!);
    }
  }
  for (const name of spec.headers) {
    // Own keys only: a name such as `constructor` would read Object.prototype's member.
    const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
    if (v === undefined) continue;
    names.push(`HTTP.HEADERS.${name}`);
    values.push(Array.isArray(v) ? v.join(', ') : v);
  }
  let ip: string | undefined;
  let port: number | undefined;
  if (spec.trustProxy) ip = forwardedFor(req.headers['x-forwarded-for']);
  if (ip === undefined) {
    ip = req.socket.remoteAddress ?? '';
    port = req.socket.remotePort;
  }
  const m = MAPPED_V4.exec(ip);
  if (m !== null) ip = m[1]!;
  const template = new LogMessage();
  for (let i = 0; i < names.length; i++) template.set(names[i]!, values[i]!);
  template.setSourceIpAddress(ip, port);
  if (spec.transport !== undefined) template.set('TRANSPORT', spec.transport);
  return { names, values, ip, port, template, receivedAt: template.receivedAt };
}

/** Sets a request's fields on a message made without its template. */
export function stampFields(msg: LogMessage, f: RequestFields): void {
  const { names, values } = f;
  for (let j = 0; j < names.length; j++) msg.set(names[j]!, values[j]!);
  msg.setSourceIpAddress(f.ip, f.port);
}

/** The client address: the first entry of X-Forwarded-For. */
function forwardedFor(h: string | string[] | undefined): string | undefined {
  if (h === undefined) return undefined;
  const s = Array.isArray(h) ? h[0]! : h;
  const comma = s.indexOf(',');
  const first = (comma < 0 ? s : s.slice(0, comma)).trim();
  return first === '' ? undefined : first;
}
