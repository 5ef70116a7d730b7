import { LogMessage } from '@logpath/core';
import { describe, expect, it } from 'vitest';
import { MAX_RECORDS, PartitionBatches } from './partition-batches.js';

describe('PartitionBatches', () => {
  it('groups records by topic and partition, keeping their order', () => {
    const b = new PartitionBatches();
    const msgs = Array.from({ length: 6 }, (_, i) => new LogMessage(`m${i}`));
    msgs.forEach((m, i) =>
      b.add(i % 2 === 0 ? 't' : 'u', i % 3, { value: `m${i}`, partition: i % 3 }, m, 2, 1000),
    );
    expect(b.size).toBe(6);
    const out = b
      .take()
      .map(
        (p) =>
          `${p.topic}[${p.partition}]=${p.messages.map((m) => m.getAsString('MESSAGE')).join(',')}`,
      );
    expect(out.sort()).toEqual(['t[0]=m0', 't[1]=m4', 't[2]=m2', 'u[0]=m3', 'u[1]=m1', 'u[2]=m5']);
    expect(b.size).toBe(0);
    expect(b.take()).toEqual([]);
  });

  it('splits a partition into requests below the byte budget (a record larger than it goes alone)', () => {
    const b = new PartitionBatches();
    for (const size of [40, 40, 40, 150, 10])
      b.add('t', 0, { value: 'x'.repeat(size) }, new LogMessage(), size, 100);
    const [p] = b.take();
    expect(p!.requests.map((r) => r.map((m) => (m.value as string).length))).toEqual([
      [40, 40],
      [40],
      [150],
      [10],
    ]);
    expect(p!.messages).toHaveLength(5);
  });

  it('splits a partition into requests of at most MAX_RECORDS records', () => {
    const b = new PartitionBatches();
    for (let i = 0; i < MAX_RECORDS * 2 + 1; i++)
      b.add('t', 0, { value: 'x' }, new LogMessage(), 1, 1e9);
    const [p] = b.take();
    expect(p!.requests.map((r) => r.length)).toEqual([MAX_RECORDS, MAX_RECORDS, 1]);
  });
});
