import { describe, expect, it } from 'vitest';
import { LogMessage } from '../log-message.js';
import { MemoryQueue } from './message-queue.js';

const texts = (q: MemoryQueue, n: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(q.pop()!.get('MESSAGE') as string);
  return out;
};

describe('MemoryQueue', () => {
  it('pops in order, acknowledges the backlog, rewinds it in front of the waiting messages', () => {
    const q = new MemoryQueue();
    for (const t of ['a', 'b', 'c', 'd']) q.push(new LogMessage(t));
    expect(texts(q, 2)).toEqual(['a', 'b']);
    expect([q.length, q.backlog]).toEqual([2, 2]);
    q.rewind();
    expect(texts(q, 3)).toEqual(['a', 'b', 'c']);
    const acked: string[] = [];
    q.ackBacklog((m) => acked.push(m.get('MESSAGE') as string));
    expect(acked).toEqual(['a', 'b', 'c']);
    expect([q.length, q.backlog, q.isFull(1), q.isFull(2)]).toEqual([1, 0, true, false]);
  });

  it('is reused from the front once emptied, and keeps order across compaction', () => {
    const q = new MemoryQueue();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) q.push(new LogMessage(`r${round}-${i}`));
      expect(texts(q, 5)).toEqual([0, 1, 2, 3, 4].map((i) => `r${round}-${i}`));
      q.ackBacklog(() => {});
      expect([q.length, q.backlog, q.pop()]).toEqual([0, 0, undefined]);
    }
    // A dead prefix larger than the live tail is dropped without losing order.
    for (let i = 0; i < 10_000; i++) q.push(new LogMessage(String(i)));
    texts(q, 9_000);
    q.ackBacklog(() => {});
    q.push(new LogMessage('last'));
    expect(q.length).toBe(1_001);
    const rest = texts(q, 1_001);
    expect([rest[0], rest[999], rest[1000]]).toEqual(['9000', '9999', 'last']);
    const drained: string[] = [];
    q.rewind();
    q.drainAll((m) => drained.push(m.get('MESSAGE') as string));
    expect(drained).toHaveLength(1_001);
    expect([q.length, q.backlog]).toEqual([0, 0]);
  });
});
