/**
 * A small {@link BenchRun} in the shapes the scenario scripts print, for the
 * report writers' tests. The figures are made up; nothing here is a measurement.
 */
import type { BenchRun } from './bench-run.js';

/** Test data: one run with core, ws-like, http-like and fetcher-like scenarios and one failure. */
export function sampleRun(): BenchRun {
  return {
    machine: {
      cpuModel: 'Test CPU @ 2.00GHz',
      cores: 2,
      node: 'v20.19.0',
      platform: 'linux/x64',
      loadStart: [1.5, 1.25, 1],
      loadEnd: [2, 1.5, 1.1],
      date: '2026-01-02T03:04:05.000Z',
      durationSeconds: 321,
    },
    scenarios: [
      {
        label: 'core: source → NullDestination',
        goal: 1_000_000,
        lines: [
          { scenario: 'null', messages: 2e6, seconds: 1, perSecond: 2_000_000, peakRssMiB: 80 },
        ],
      },
      {
        label: 'ws',
        lines: [
          {
            scenario: 'bare ws, NDJSON×100',
            messages: 1e6,
            seconds: 1,
            perSecond: 1_000_000,
            peakRssMiB: 90,
          },
          {
            scenario: 'WebSocketSource, NDJSON×100',
            messages: 1e6,
            seconds: 1.25,
            perSecond: 800_000,
            peakRssMiB: 95,
            // A median of paired ratios: 800,000 / 0.85 is nearer the check line than bare ws.
            ratio: 0.85,
            goal: 0.9,
            baseline: 'bare ws, NDJSON×100',
          },
          {
            scenario: 'bare ws + check, NDJSON×100',
            messages: 1e6,
            seconds: 1.1,
            perSecond: 900_000,
            peakRssMiB: 92,
            ratio: 0.9,
            baseline: 'bare ws, NDJSON×100',
          },
          {
            scenario: 'bare+JSON.parse, NDJSON×100',
            messages: 1e6,
            seconds: 2,
            perSecond: 500_000,
            peakRssMiB: 91,
          },
        ],
      },
      {
        label: 'fetcher: HTTP',
        lines: [
          { scenario: 'http-bare', messages: 5e5, seconds: 5, perSecond: 100_000, peakRssMiB: 70 },
          {
            scenario: 'http-poller',
            messages: 5e5,
            seconds: 5,
            perSecond: 95_000,
            peakRssMiB: 72,
            ratio: 0.95,
            goal: 0.9,
          },
        ],
      },
      { label: 'kafka: 1M records', lines: [], error: 'exited with code 1' },
    ],
  };
}
