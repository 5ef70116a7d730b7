/**
 * Two pipelines chained over WebSocket: A (a replayable source →
 * WebSocketDestination with acks) → B (WebSocketSource, ack 'batch' →
 * a counting destination). Either side is stopped mid-stream and started
 * again; every message must arrive (duplicates allowed, counted).
 */
import {
  InstantAckTracker,
  LogDestination,
  LogMessage,
  LogSource,
  Pipeline,
  defineConfig,
  type LogMessage as Msg,
} from '@logpath/core';
import { describe, it, expect, afterEach } from 'vitest';
import { WebSocketDestination } from './websocket-destination.js';
import { WebSocketSource } from './websocket-source.js';

const TOTAL = 4000;

/** Replays every message not yet acknowledged as delivered, like a client with a durable outbox. */
class OutboxSource extends LogSource {
  static acked = new Set<number>();
  posted = 0;
  override init(): void {
    this.ackTracker = new InstantAckTracker((bookmark, status) => {
      if (status === 'delivered') OutboxSource.acked.add(bookmark as number);
    });
  }
  override async run(): Promise<void> {
    for (let i = 0; i < TOTAL && !this.signal.aborted; i++) {
      if (OutboxSource.acked.has(i)) continue;
      this.posted++;
      if (!this.postMessage(new LogMessage(`m${i}`, i).set('seq', i))) await this.waitForWindow();
    }
    if (!this.signal.aborted)
      await new Promise((r) => this.signal.addEventListener('abort', r, { once: true }));
  }
}

/** Records the seq of every delivered message; calls `onCount` as the count grows. */
class CountingDestination extends LogDestination {
  static seen: number[] = [];
  static onCount: (n: number) => void = () => {};
  override send(msg: Msg): 3 {
    CountingDestination.seen.push(msg.get('seq') as number);
    CountingDestination.onCount(CountingDestination.seen.length);
    return this.SUCCESS;
  }
}

function upstream(port: number, stopTimeout = 10_000): Pipeline {
  return new Pipeline(
    defineConfig({
      sources: { outbox: { class: OutboxSource, logIwSize: 500 } },
      destinations: {
        ws: {
          class: WebSocketDestination,
          options: {
            url: `ws://127.0.0.1:${port}/`,
            frame: 'batch',
            ack: true,
            reconnectDelay: 20,
            reconnectMaxDelay: 100,
            ackTimeout: 5000,
          },
          batchLines: 50,
          timeReopen: 20,
        },
      },
      logPaths: [{ sources: ['outbox'], destinations: ['ws'] }],
      log: { stderr: false },
      stopTimeout,
    }),
  );
}

function downstream(port: number): Pipeline {
  return new Pipeline(
    defineConfig({
      sources: {
        ws: { class: WebSocketSource, options: { port, format: 'ndjson', ack: 'batch' } },
      },
      destinations: { count: { class: CountingDestination } },
      logPaths: [{ sources: ['ws'], destinations: ['count'] }],
      log: { stderr: false },
    }),
  );
}

async function startDownstream(port: number): Promise<{ p: Pipeline; port: number }> {
  const p = downstream(port);
  await p.start();
  return { p, port: await (p.component('ws') as WebSocketSource).whenListening() };
}

const running: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  CountingDestination.onCount = () => {};
});

function expectAllArrived(): { duplicates: number } {
  const seen = CountingDestination.seen;
  const unique = new Set(seen);
  expect(unique.size).toBe(TOTAL);
  expect(OutboxSource.acked.size).toBe(TOTAL);
  return { duplicates: seen.length - unique.size };
}

describe('WebSocketDestination → WebSocketSource chain (at-least-once)', () => {
  it('the downstream pipeline is stopped mid-stream and started again: nothing lost', async () => {
    OutboxSource.acked = new Set();
    CountingDestination.seen = [];
    const b1 = await startDownstream(0);
    let b1Stopped: Promise<void> | undefined;
    CountingDestination.onCount = (n) => {
      if (n === 1000) b1Stopped = b1.p.stop();
    };
    const a = upstream(b1.port);
    running.push(a);
    await a.start();
    await expect.poll(() => b1Stopped !== undefined, { timeout: 10_000 }).toBe(true);
    await b1Stopped;
    const ackedWhileDown = OutboxSource.acked.size;
    expect(ackedWhileDown).toBeLessThan(TOTAL);
    const b2 = await startDownstream(b1.port);
    running.push(b2.p);
    await expect.poll(() => OutboxSource.acked.size, { timeout: 15_000 }).toBe(TOTAL);
    const { duplicates } = expectAllArrived();
    expect(duplicates).toBeLessThan(TOTAL);
  });

  it('the upstream pipeline is stopped mid-stream and started again: it resends what was not acknowledged', async () => {
    OutboxSource.acked = new Set();
    CountingDestination.seen = [];
    const b = await startDownstream(0);
    running.push(b.p);
    const a1 = upstream(b.port, 1);
    let a1Stopped: Promise<void> | undefined;
    CountingDestination.onCount = (n) => {
      if (n === 1000) a1Stopped = a1.stop();
    };
    await a1.start();
    await expect.poll(() => a1Stopped !== undefined, { timeout: 10_000 }).toBe(true);
    await a1Stopped;
    expect(OutboxSource.acked.size).toBeLessThan(TOTAL);
    const a2 = upstream(b.port);
    running.push(a2);
    await a2.start();
    await expect.poll(() => OutboxSource.acked.size, { timeout: 15_000 }).toBe(TOTAL);
    expect((a2.component('outbox') as OutboxSource).posted).toBeGreaterThan(0);
    expectAllArrived();
  });
});
