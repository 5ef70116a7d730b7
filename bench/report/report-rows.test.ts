import { describe, expect, it } from 'vitest';
import { fullRate, shortRate, toReportRows } from './report-rows.js';
import { sampleRun } from './sample-run.js';

describe('toReportRows', () => {
  const { rows, references, failures } = toReportRows(sampleRun());

  it('gives a scenario without a baseline its absolute goal', () => {
    expect(rows[0]).toMatchObject({
      name: 'core: source → NullDestination',
      perSecond: 2_000_000,
      goal: { kind: 'rate', value: 1_000_000 },
      met: true,
    });
    expect(rows[0]!.bare).toBeUndefined();
  });

  it('pairs a logpath line with the bare line it names, though another is nearer its ratio', () => {
    expect(rows[1]).toMatchObject({
      name: 'ws: WebSocketSource, NDJSON×100',
      bare: { name: 'bare ws, NDJSON×100', perSecond: 1_000_000 },
      ratio: 0.85,
      goal: { kind: 'ratio', value: 0.9 },
      met: false,
    });
  });

  it('pairs a line that names no baseline with the bare line its ratio points at', () => {
    expect(rows[2]).toMatchObject({
      name: 'fetcher: HTTP: http-poller',
      bare: { name: 'http-bare', perSecond: 100_000 },
    });
  });

  it('lists unused baselines as references, with their own ratios, and failures separately', () => {
    expect(references).toEqual([
      {
        name: 'ws: bare ws + check, NDJSON×100',
        perSecond: 900_000,
        peakRssMiB: 92,
        ratio: { value: 0.9, of: 'bare ws, NDJSON×100' },
      },
      { name: 'ws: bare+JSON.parse, NDJSON×100', perSecond: 500_000, peakRssMiB: 91 },
    ]);
    expect(failures).toEqual([{ label: 'kafka: 1M records', error: 'exited with code 1' }]);
    expect(rows.map((r) => r.name)).not.toContain('kafka: 1M records');
  });

  it('sets the AxoSyslog fetcher figure beside fetcher rows only', () => {
    expect(rows[2]!.axosyslog?.perSecond).toBe(100_000);
    expect(rows[0]!.axosyslog).toBeUndefined();
    expect(rows[1]!.axosyslog).toBeUndefined();
  });
});

describe('rates', () => {
  it('formats short and full labels', () => {
    expect(shortRate(1_234_567)).toBe('1.23M');
    expect(shortRate(98_765)).toBe('98.8k');
    expect(shortRate(512)).toBe('512');
    expect(fullRate(1_234_567.4)).toBe('1,234,567');
  });
});
