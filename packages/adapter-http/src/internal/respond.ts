import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@logpath/core';
import type { NextFunction, Request, Response } from 'express';
import type { HttpSourceCorsOptions } from '../http-source-options.js';
import { HttpError } from './http-error.js';

/**
 * Writes a JSON answer with Node's own API: Express's `res.json` would add an
 * ETag hash and several lookups per request for nothing.
 */
export function answerJson(
  res: ServerResponse,
  status: number,
  json: string,
  close: boolean,
): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (close) res.setHeader('connection', 'close');
  res.end(json);
}

/** Bodies up to this size are not worth a new connection: Node discards the unread rest. */
const SMALL_UNREAD_BODY = 64 * 1024;

/** Reading a large unread body only to discard it is waste: close the connection instead. */
export function hasLargeUnreadBody(req: IncomingMessage): boolean {
  if (req.readableEnded) return false;
  const length = req.headers['content-length'];
  if (length === undefined) return req.headers['transfer-encoding'] !== undefined;
  return Number(length) > SMALL_UNREAD_BODY;
}

/** The app's last handler: JSON instead of Express's HTML page. */
export function notFound(req: Request, res: Response): void {
  answerJson(res, 404, JSON.stringify({ error: `no route for ${req.method} ${req.path}` }), false);
}

/**
 * The app's error handler, for errors thrown by routes a subclass added (and
 * Express's own, like a malformed URI): a 4xx keeps its status and message,
 * anything else is logged and answered 500 without details.
 */
export function routeErrorHandler(
  logger: Logger,
  closing: () => boolean,
): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  // Four parameters: that is how Express tells an error handler apart.
  return (err, _req, res, _next) => {
    const status = (err as { status?: unknown }).status;
    const code = typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
    if (code === 500) logger.error('a route failed', err);
    const message =
      code === 500 ? 'internal error while handling the request' : (err as Error).message;
    answerJson(res, code, JSON.stringify({ error: message }), closing());
  };
}

/** The JSON body of a refusal: `{ "error": message, ...details }`. */
export function errorBody(err: HttpError): string {
  return JSON.stringify(
    err.details === undefined ? { error: err.message } : { error: err.message, ...err.details },
  );
}

/** Turns anything thrown while handling a request into an HttpError (500 for surprises). */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  return new HttpError(500, 'internal error while handling the request');
}

/** `Retry-After` takes whole seconds; round up so that clients never come back early. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * Answers CORS for the configured origins: headers on every answer to an
 * allowed origin, and the preflight `OPTIONS` request.
 */
export class Cors {
  readonly #any: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #credentials: boolean;
  readonly #methods: string;

  constructor(options: HttpSourceCorsOptions, methods: readonly string[]) {
    const list = typeof options.origin === 'string' ? [options.origin] : options.origin;
    this.#any = list.includes('*');
    this.#origins = new Set(list);
    this.#credentials = options.credentials === true;
    this.#methods = methods.join(', ');
  }

  /** Adds the response headers when the request's origin is allowed; true when it is. */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    if (this.#any && !this.#credentials) {
      res.setHeader('access-control-allow-origin', '*');
      return true;
    }
    if (!this.#any && !this.#origins.has(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    if (this.#credentials) res.setHeader('access-control-allow-credentials', 'true');
    return true;
  }

  /** Answers a preflight: 204 with the allowed methods and the requested headers. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    if (this.apply(req, res)) {
      res.setHeader('access-control-allow-methods', this.#methods);
      const asked = req.headers['access-control-request-headers'];
      if (asked !== undefined) res.setHeader('access-control-allow-headers', asked);
      res.setHeader('access-control-max-age', '600');
    }
    res.statusCode = 204;
    res.end();
  }
}
