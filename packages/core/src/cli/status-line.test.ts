import { describe, expect, it } from 'vitest';
import type { ComponentStats } from '../stats.js';
import { formatStatus, sampleStats } from './status-line.js';

function stat(kind: 'source' | 'destination', o: Partial<ComponentStats>): ComponentStats {
  return {
    kind,
    name: 'x',
    persistName: 'x',
    received: 0,
    posted: 0,
    queued: 0,
    delivered: 0,
    dropped: {},
    retried: 0,
    suspended: 0,
    bytes: 0,
    errors: 0,
    fallback: 0,
    ...o,
  } as ComponentStats;
}

describe('status line', () => {
  it('shows rates between samples and the current gauges', () => {
    const a = sampleStats(
      [stat('source', { posted: 1000 }), stat('destination', { delivered: 500 })],
      0,
    );
    const b = sampleStats(
      [
        stat('source', { posted: 3000, suspended: 1 }),
        stat('source', { posted: 0 }),
        stat('destination', { delivered: 2500, queued: 1200, dropped: { 'queue-full': 7 } }),
      ],
      2000,
    );
    expect(formatStatus(a, b)).toBe(
      'in 1,000 msg/s · out 1,000 msg/s · queued 1,200 · suspended sources 1 · dropped 7',
    );
  });
});
