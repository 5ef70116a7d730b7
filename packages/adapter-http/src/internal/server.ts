import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
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
  return server;
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
