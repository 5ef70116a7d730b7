import { afterEach, describe, expect, it } from 'vitest';
import { startDemoApi, type DemoApi, type DemoEvent } from './demo-api.js';

let api: DemoApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function page(url: string): Promise<{ data: DemoEvent[]; next: string }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as { data: DemoEvent[]; next: string };
}

describe('startDemoApi', () => {
  it('serves its events page by page after a cursor, and an empty page with the same cursor at the end', async () => {
    // A long interval: only the three initial events exist during the test.
    api = await startDemoApi({ port: 0, pageSize: 2, intervalMs: 600_000 });
    expect(api.url).toBe(`http://127.0.0.1:${api.port}/events`);
    const first = await page(api.url);
    expect(first.data.map((e) => e.type)).toEqual(['order.created', 'order.paid']);
    expect(first.next).toBe(String(first.data[1]!.id));
    const second = await page(`${api.url}?after=${first.next}`);
    expect(second.data).toHaveLength(1);
    expect(second.data[0]!.id).toBeGreaterThan(Number(first.next));
    const end = await page(`${api.url}?after=${second.next}`);
    expect(end).toEqual({ data: [], next: second.next });
  });

  it('answers 404 elsewhere and 400 to a cursor that is not a number', async () => {
    api = await startDemoApi({ port: 0 });
    expect((await fetch(api.url.replace('/events', '/other'))).status).toBe(404);
    expect((await fetch(`${api.url}?after=abc`)).status).toBe(400);
  });
});
