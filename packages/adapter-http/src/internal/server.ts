import {
  createServer as createHttpServer,
  STATUS_CODES,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '@logpath/core';
import type { ResolvedHttpSourceOptions } from '../http-source-options.js';

/** Time for 503 answers to reach clients before their connections are destroyed at shutdown. */
const GRACE_MS = 500;

/** An HTTP or HTTPS server with the timeouts that keep slow clients from holding it. */
export function createServer(o: ResolvedHttpSourceOptions, app: RequestListener): Server {
  const timeouts = {
    requestTimeout: o.requestTimeout,
    headersTimeout: o.headersTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    // Node checks both timeouts only this often (default 30 s): short ones would not hold.
    connectionsCheckingInterval: checkingInterval(o),
  };
  const server: Server =
    o.tls === undefined
      ? createHttpServer(timeouts, app)
      : createHttpsServer(
          {
            ...timeouts,
            key: o.tls.key,
            cert: o.tls.cert,
            ca: o.tls.ca as string | Buffer | (string | Buffer)[] | undefined,
            requestCert: o.tls.requestClientCert === true,
            rejectUnauthorized: o.tls.requestClientCert === true,
          },
          app,
        );
  server.keepAliveTimeout = o.keepAliveTimeout;
  server.on('clientError', answerClientError);
  return server;
}

/** A quarter of the shorter timeout, between 100 ms and Node's default of 30 s. */
function checkingInterval(o: ResolvedHttpSourceOptions): number {
  const t = Math.min(o.headersTimeout, o.requestTimeout);
  return Math.min(30_000, Math.max(100, Math.floor(t / 4)));
}

/**
 * Node's answers to requests it cannot parse (or that time out), with the
 * JSON body every other refusal has; Node's own have none. Like Node's
 * default, it answers only when no response has started on the socket.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || started?.headersSent === true) {
    socket.destroy();
    return;
  }
  let status = 400;
  let error = `malformed HTTP request (${err.code ?? err.message})`;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    error = 'the request headers are too large';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    error = 'the request was not received within headersTimeout or requestTimeout';
  }
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // end() lets the answer out; a peer that never reads must not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Resolves once listening; rejects on a listen error (EADDRINUSE…). */
export function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Stops accepting and closes idle keep-alive connections; connections busy
 * with a request may finish. After `timeoutMs`, `giveUp()` answers what can
 * still be answered (it returns how many), and the rest is cut.
 */
export function closeServer(
  server: Server,
  timeoutMs: number,
  giveUp: () => number,
  logger: Logger,
): void {
  server.close();
  server.closeIdleConnections();
  let timer = setTimeout(() => {
    logger.warn(
      `requests still open after shutdownTimeout (${timeoutMs} ms); closing their connections`,
    );
    if (giveUp() === 0) return server.closeAllConnections();
    server.closeIdleConnections();
    timer = setTimeout(() => server.closeAllConnections(), GRACE_MS).unref();
  }, timeoutMs).unref();
  server.once('close', () => clearTimeout(timer));
}
