import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineConfig } from '../config.js';
import { LogDestination } from '../log-destination.js';
import type { LogMessage } from '../log-message.js';
import { Pipeline } from '../pipeline.js';
import { ArraySource, CaptureDestination } from '../testing/index.js';

// A destination option `fallback` names a dead-letter destination: what the
// primary drops goes there, counted as `fallback` and not as `dropped`.

/** Drops the messages whose text starts with "bad", delivers the others. */
class Picky extends LogDestination {
  readonly delivered: string[] = [];
  override send(msg: LogMessage): 0 | 3 {
    const text = msg.getAsString('MESSAGE') ?? '';
    if (text.startsWith('bad')) return this.DROP;
    this.delivered.push(text);
    return this.SUCCESS;
  }
}

/** Drops everything. */
class Dropper extends LogDestination {
  override send(): 0 {
    return this.DROP;
  }
}

const MESSAGES = ['ok1', 'bad1', 'ok2', 'bad2', 'bad3', 'ok3'];

let running: Pipeline[] = [];

async function run(config: Omit<PipelineConfig, 'sources' | 'logPaths' | 'log'>) {
  const p = new Pipeline({
    sources: { input: { class: ArraySource, options: { messages: MESSAGES } } },
    logPaths: [{ sources: ['input'], destinations: ['out'] }],
    log: { stderr: false },
    ...config,
  });
  running.push(p);
  await p.start();
  const input = p.component('input') as ArraySource;
  await input.allAcked();
  const stats = (name: string) => p.stats().find((s) => s.name === name)!;
  return { p, input, stats };
}

afterEach(async () => {
  for (const p of running) await p.stop();
  running = [];
});

describe('fallback destination', () => {
  it('receives exactly the messages its primary drops; counted as fallback, not dropped', async () => {
    const { p, input, stats } = await run({
      destinations: { out: { class: Picky, fallback: 'dlq' }, dlq: { class: CaptureDestination } },
    });
    const dlq = p.component('dlq') as CaptureDestination;
    expect(dlq.messages.map((m) => m.getAsString('MESSAGE'))).toEqual(['bad1', 'bad2', 'bad3']);
    expect((p.component('out') as Picky).delivered).toEqual(['ok1', 'ok2', 'ok3']);
    expect(stats('out')).toMatchObject({ received: 6, delivered: 3, fallback: 3, dropped: {} });
    expect(stats('dlq')).toMatchObject({ received: 3, delivered: 3, fallback: 0, dropped: {} });
    // Delivered to the dead-letter queue counts as delivered for the source.
    expect(input.acks).toEqual(Array(6).fill('delivered'));
  });

  it('reports as dropped what the fallback drops too', async () => {
    const { input, stats } = await run({
      destinations: { out: { class: Picky, fallback: 'dlq' }, dlq: { class: Dropper } },
    });
    expect(stats('out')).toMatchObject({ fallback: 3, dropped: {} });
    expect(stats('dlq')).toMatchObject({ received: 3, dropped: { 'destination-drop': 3 } });
    expect(input.acks).toEqual([
      'delivered',
      'dropped',
      'delivered',
      'dropped',
      'dropped',
      'delivered',
    ]);
  });

  it('counts drops as dropped when there is no fallback', async () => {
    const { input, stats } = await run({ destinations: { out: { class: Picky } } });
    expect(stats('out')).toMatchObject({ fallback: 0, dropped: { 'destination-drop': 3 } });
    expect(input.acks.filter((a) => a === 'dropped')).toHaveLength(3);
  });
});
