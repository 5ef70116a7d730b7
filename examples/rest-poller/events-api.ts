/**
 * A small REST API to poll: `GET /events?after=<cursor>` answers
 * `{ "data": [events after the cursor, at most `pageSize`], "next": "<cursor of the last one>" }`.
 * The cursor is the number of the last event seen. `add()` appends events.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EventsApi {
  readonly url: string;
  /** The `after` parameter of every request, in order (`null` when absent). */
  readonly requests: (string | null)[];
  add(count: number): void;
  close(): Promise<void>;
}

export async function startEventsApi(pageSize = 3): Promise<EventsApi> {
  const events: { seq: number; message: string; at: string }[] = [];
  const requests: (string | null)[] = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (u.pathname !== '/events') return void res.writeHead(404).end();
    const after = u.searchParams.get('after');
    requests.push(after);
    const from = after === null ? 0 : Number(after);
    const page = events.slice(from, from + pageSize);
    // An empty page repeats the cursor it got: the poller then waits `interval` and asks again.
    const next = String(page.length > 0 ? page[page.length - 1]!.seq : from);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: page, next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    add(count: number): void {
      for (let i = 0; i < count; i++) {
        const seq = events.length + 1;
        events.push({ seq, message: `event ${seq}`, at: new Date().toISOString() });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
