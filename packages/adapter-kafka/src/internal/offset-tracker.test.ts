import { describe, expect, it, vi } from 'vitest';
import { CHUNK_SPAN, OffsetTracker } from './offset-tracker.js';

/** Records with the given offsets (kafkajs hands them out as strings). */
function records(...offsets: number[]): { offset: string }[] {
  return offsets.map((o) => ({ offset: String(o) }));
}

describe('OffsetTracker', () => {
  it('commits the contiguous prefix of done messages, never past a pending one', () => {
    const t = new OffsetTracker();
    const c = t.open('t', 0, records(10, 11, 12, 13), 0, 4);
    expect(t.committable('t', 0)).toBeUndefined();
    t.ack(c.base + 1, 'delivered');
    t.ack(c.base + 3, 'delivered');
    expect(t.committable('t', 0)).toBeUndefined(); // 10 is still in flight
    t.ack(c.base, 'delivered');
    expect(t.committable('t', 0)).toBe('12'); // 10 and 11 are done; 12 is not
    t.ack(c.base + 2, 'dropped');
    expect(t.committable('t', 0)).toBe('14');
    expect(c.settled).toBe(true);
    expect(t.inFlight).toBe(0);
  });

  it('an aborted message holds the prefix back for good', () => {
    const t = new OffsetTracker();
    const c = t.open('t', 0, records(0, 1, 2), 0, 3);
    t.ack(c.base, 'delivered');
    t.ack(c.base + 1, 'aborted');
    t.ack(c.base + 2, 'delivered');
    expect(c.settled).toBe(true);
    expect(t.committable('t', 0)).toBe('1');
    const next = t.open('t', 0, records(3), 0, 1);
    t.ack(next.base, 'delivered');
    expect(t.committable('t', 0)).toBe('1');
  });

  it('carries the prefix across chunks, and skips offsets missing from the log', () => {
    const t = new OffsetTracker();
    const batch = records(100, 101, 105, 106); // compacted: 102..104 are gone
    const a = t.open('t', 3, batch, 0, 2);
    const b = t.open('t', 3, batch, 2, 4);
    t.ack(b.base, 'delivered');
    t.ack(b.base + 1, 'delivered');
    expect(t.committable('t', 3)).toBeUndefined();
    t.ack(a.base, 'delivered');
    t.ack(a.base + 1, 'delivered');
    expect(t.committable('t', 3)).toBe('107');
  });

  it('keeps partitions and topics apart, and reports a commit only once', () => {
    const t = new OffsetTracker();
    const p0 = t.open('t', 0, records(5), 0, 1);
    const p1 = t.open('t', 1, records(7), 0, 1);
    const u0 = t.open('u', 0, records(9), 0, 1);
    for (const c of [p0, p1, u0]) t.ack(c.base, 'delivered');
    expect(t.pendingCommits()).toEqual([
      { topic: 't', partition: 0, offset: '6' },
      { topic: 't', partition: 1, offset: '8' },
      { topic: 'u', partition: 0, offset: '10' },
    ]);
    t.committed('t', 0, '6');
    expect(t.committable('t', 0)).toBeUndefined();
    expect(t.pendingCommits()).toHaveLength(2);
  });

  it('handles int64 offsets beyond 2^53', () => {
    const t = new OffsetTracker();
    const c = t.open('t', 0, [{ offset: '9007199254740993' }], 0, 1);
    t.ack(c.base, 'delivered');
    expect(t.committable('t', 0)).toBe('9007199254740994');
  });

  it('after reset() (a new generation) old chunks still settle but move no commit point', () => {
    const t = new OffsetTracker();
    const c = t.open('t', 0, records(0, 1), 0, 2);
    t.ack(c.base, 'delivered');
    t.reset();
    t.ack(c.base + 1, 'delivered');
    expect(c.settled).toBe(true);
    expect(t.committable('t', 0)).toBeUndefined();
    expect(t.pendingCommits()).toEqual([]);
  });

  it('ignores repeated and unknown bookmarks', () => {
    const t = new OffsetTracker();
    const c = t.open('t', 0, records(0, 1), 0, 2);
    t.ack(c.base, 'delivered');
    t.ack(c.base, 'aborted');
    t.ack(c.base + 5 * CHUNK_SPAN, 'delivered');
    expect(t.inFlight).toBe(1);
    expect(t.committable('t', 0)).toBe('1');
  });

  it('wait() resolves when the chunk settles, or after the timeout', async () => {
    vi.useFakeTimers();
    try {
      const t = new OffsetTracker();
      const c = t.open('t', 0, records(0, 1), 0, 2);
      let done = false;
      const w = c.wait(1000).then(() => (done = true));
      t.ack(c.base, 'delivered');
      await Promise.resolve();
      expect(done).toBe(false);
      t.ack(c.base + 1, 'delivered');
      await w;
      expect(done).toBe(true);
      const d = t.open('t', 0, records(2), 0, 1);
      let timedOut = false;
      const w2 = d.wait(500).then(() => (timedOut = true));
      await vi.advanceTimersByTimeAsync(499);
      expect(timedOut).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await w2;
      expect(timedOut).toBe(true);
      expect(d.settled).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects chunks that are empty or too large for the bookmark space', () => {
    const t = new OffsetTracker();
    expect(() => t.open('t', 0, records(), 0, 0)).toThrow(RangeError);
    expect(() => t.open('t', 0, [], 0, CHUNK_SPAN + 1)).toThrow(RangeError);
  });
});
