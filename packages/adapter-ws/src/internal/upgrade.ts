/**
 * HTTP answers to upgrade requests that are refused before any WebSocket
 * exists: written straight to the socket, which is then closed, so a refused
 * client never gets to send a frame.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Writes a small HTTP response with a JSON body and closes the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  // end() lets the response out; a peer that never reads must not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The request's path and query, parsed leniently (a bad URL is an empty path). */
export function parseRequestUrl(req: IncomingMessage): {
  pathname: string;
  query: URLSearchParams;
} {
  try {
    const u = new URL(req.url ?? '/', 'http://x');
    return { pathname: u.pathname, query: u.searchParams };
  } catch {
    return { pathname: '', query: new URLSearchParams() };
  }
}
