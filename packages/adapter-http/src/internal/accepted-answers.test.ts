import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptedAnswers } from './accepted-answers.js';

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

/** A real server whose every request is queued on `answers` with the count from `?n=`. */
async function serve(answers: AcceptedAnswers, seen: number[]): Promise<string> {
  server = createServer((req, res) => {
    const n = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
    seen.push(n);
    req.resume();
    req.on('end', () => answers.add(res, n));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('AcceptedAnswers', () => {
  it('answers each queued request with its own count, 202 and JSON', async () => {
    const seen: number[] = [];
    const url = await serve(new AcceptedAnswers(() => false), seen);
    const replies = await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        const r = await fetch(`${url}?n=${n}`, { method: 'POST', body: 'x' });
        return { n, status: r.status, type: r.headers.get('content-type'), body: await r.json() };
      }),
    );
    expect(seen).toHaveLength(40);
    for (const r of replies) {
      expect(r.status).toBe(202);
      expect(r.type).toBe('application/json; charset=utf-8');
      expect(r.body).toEqual({ accepted: r.n });
    }
  });

  it('closes the connection with the answer while the source shuts down', async () => {
    let closing = false;
    const url = await serve(new AcceptedAnswers(() => closing), []);
    const open = await fetch(`${url}?n=1`, { method: 'POST', body: 'x' });
    closing = true;
    const last = await fetch(`${url}?n=2`, { method: 'POST', body: 'x' });
    expect(open.headers.get('connection')).toBe('keep-alive');
    expect(last.headers.get('connection')).toBe('close');
    expect(await last.json()).toEqual({ accepted: 2 });
  });
});
