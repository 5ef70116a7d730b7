/**
 * A bulk API to send to: `POST` NDJSON items, each with a numeric `amount`;
 * a batch with an item without one is refused whole with 400. Its first
 * answers are scripted failures: the example uses it to walk the destination
 * through every result code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the API does with one request: answer a status, or reset the connection. */
export type Behaviour = 'reset' | 200 | 400 | 429 | 500 | 503;

interface Item {
  id: number;
  amount?: unknown;
}

export interface BulkApi {
  /** `id` of every item received in a 2xx request, in order. */
  readonly received: number[];
  /** What each request got, in order. */
  readonly log: Behaviour[];
  /** Starts listening on `port`. */
  listen(port: number): Promise<void>;
  close(): Promise<void>;
}

/** Reserves a free port (listen, then close): the API starts on it later. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export function bulkApi(script: Behaviour[]): BulkApi {
  const received: number[] = [];
  const log: Behaviour[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const items = Buffer.concat(chunks)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Item);
      const valid = items.every((item) => typeof item.amount === 'number');
      const what = script.shift() ?? (valid ? 200 : 400);
      log.push(what);
      if (what === 'reset') return void req.socket.destroy();
      if (what === 200) received.push(...items.map((item) => item.id));
      if (what === 429 || what === 503) res.setHeader('retry-after', '1');
      res.writeHead(what).end();
    });
  });
  return {
    received,
    log,
    listen: (port) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
