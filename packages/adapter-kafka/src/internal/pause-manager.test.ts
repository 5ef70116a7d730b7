import { describe, expect, it } from 'vitest';
import { PauseManager, type TopicSelection } from './pause-manager.js';

/** A stand-in for kafkajs' subscription state: topic-wide pauses, per-partition pauses and resumes. */
class FakeConsumer {
  readonly calls: string[] = [];
  broken = false;
  #all = new Set<string>();
  #paused = new Set<string>();
  #resumed = new Set<string>();

  pause(list: TopicSelection[]): void {
    if (this.broken) throw new Error('Consumer group was not initialized');
    for (const { topic, partitions } of list) {
      this.calls.push(`pause ${topic}${partitions ? `[${partitions.join(',')}]` : ''}`);
      if (partitions === undefined) this.#all.add(topic);
      else
        for (const p of partitions) {
          this.#paused.add(`${topic}:${p}`);
          this.#resumed.delete(`${topic}:${p}`);
        }
    }
  }

  resume(list: TopicSelection[]): void {
    if (this.broken) throw new Error('Consumer group was not initialized');
    for (const { topic, partitions } of list) {
      this.calls.push(`resume ${topic}${partitions ? `[${partitions.join(',')}]` : ''}`);
      if (partitions === undefined) {
        this.#all.delete(topic);
        for (const k of [...this.#paused, ...this.#resumed])
          if (k.startsWith(`${topic}:`)) {
            this.#paused.delete(k);
            this.#resumed.delete(k);
          }
      } else {
        for (const p of partitions) {
          this.#paused.delete(`${topic}:${p}`);
          if (this.#all.has(topic)) this.#resumed.add(`${topic}:${p}`);
        }
      }
    }
  }

  isPaused(topic: string, p: number): boolean {
    return (
      (this.#all.has(topic) && !this.#resumed.has(`${topic}:${p}`)) ||
      this.#paused.has(`${topic}:${p}`)
    );
  }
}

describe('PauseManager', () => {
  it('flow control pauses every assigned topic once and resumes them', () => {
    const c = new FakeConsumer();
    const m = new PauseManager();
    m.attach(c);
    m.setTopics(['a', 'b']);
    expect(m.pauseFlow()).toBe(true);
    expect(m.pauseFlow()).toBe(false);
    expect(c.isPaused('a', 3) && c.isPaused('b', 0)).toBe(true);
    m.resumeFlow();
    expect(c.isPaused('a', 3) || c.isPaused('b', 0)).toBe(false);
    expect(m.flowPauses).toBe(1);
  });

  it('a held partition stays paused through a flow pause and resume, and only its release resumes it', () => {
    const c = new FakeConsumer();
    const m = new PauseManager();
    m.attach(c);
    m.setTopics(['a']);
    m.hold('a', 1);
    m.pauseFlow();
    m.release('a', 1); // the flow still holds it: kafkajs' per-partition resume would undo the topic pause
    expect(c.isPaused('a', 1)).toBe(true);
    m.hold('a', 2);
    m.resumeFlow();
    expect(c.isPaused('a', 2)).toBe(true);
    expect(c.isPaused('a', 1)).toBe(false);
    expect(m.isHeld('a', 2)).toBe(true);
    m.release('a', 2);
    expect(c.isPaused('a', 2)).toBe(false);
  });

  it('never throws when kafkajs has no consumer group, and reapplies its pauses after the next join', () => {
    const c = new FakeConsumer();
    const m = new PauseManager();
    m.attach(c);
    m.setTopics(['a']);
    c.broken = true;
    expect(() => m.pauseFlow()).not.toThrow();
    c.broken = false;
    expect(c.isPaused('a', 0)).toBe(false);
    m.setTopics(['a', 'b']); // a join
    expect(c.isPaused('a', 0) && c.isPaused('b', 0)).toBe(true);
  });

  it('a join ends the holds of the previous generation (kafkajs keeps pauses across joins)', () => {
    const c = new FakeConsumer();
    const m = new PauseManager();
    m.attach(c);
    m.setTopics(['a']);
    m.hold('a', 4);
    expect(c.isPaused('a', 4)).toBe(true);
    m.setTopics(['a']); // the handover of the old generation never released it
    expect(m.isHeld('a', 4)).toBe(false);
    expect(c.isPaused('a', 4)).toBe(false);
  });
});
