import { describe, expect, it } from 'vitest';
import { LogDestination } from '../log-destination.js';
import { LogMessage } from '../log-message.js';
import { LogSource } from '../log-source.js';
import { runDestination, startSource } from './harness.js';

class Counter extends LogSource<{ count: number }> {
  #count = 0;
  override init(o: { count: number }): void {
    this.#count = o.count;
  }
  override async run(): Promise<void> {
    for (let i = 0; i < this.#count; i++) {
      if (!this.postMessage(new LogMessage(`m${i}`))) await this.waitForWindow();
    }
  }
}

class Picky extends LogDestination {
  override send(msg: LogMessage): 0 | 3 {
    return msg.getAsString('MESSAGE') === 'bad' ? this.DROP : this.SUCCESS;
  }
}

describe('startSource', () => {
  it('captures what a source posts, in order', async () => {
    const h = await startSource(Counter, { options: { count: 250 }, logIwSize: 10 });
    const got = await h.waitFor(250);
    expect(got.map((m) => m.getAsString('MESSAGE'))).toEqual(
      Array.from({ length: 250 }, (_, i) => `m${i}`),
    );
    await h.stop();
    const src = h.stats().find((s) => s.kind === 'source')!;
    expect(src.posted).toBe(250);
  });

  it('rejects waitFor after the timeout', async () => {
    const h = await startSource(Counter, { options: { count: 1 } });
    await expect(h.waitFor(5, 50)).rejects.toThrow(/timed out after 50 ms/);
    await h.stop();
  });
});

describe('runDestination', () => {
  it('reports how each message ended', async () => {
    const run = await runDestination(Picky, { messages: ['a', 'bad', 'c'] });
    expect(run.acks).toEqual(['delivered', 'dropped', 'delivered']);
    const d = run.stats.find((s) => s.kind === 'destination')!;
    expect(d.delivered).toBe(2);
    expect(d.dropped['destination-drop']).toBe(1);
    expect(run.logs.some((l) => l.level === 'error' && /DROP/.test(l.message))).toBe(true);
  });
});
