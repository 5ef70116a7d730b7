import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './render-markdown.js';
import { sampleRun } from './sample-run.js';

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleRun());

  it('states the machine facts of the run', () => {
    expect(md).toContain('2026-01-02T03:04:05.000Z');
    expect(md).toContain('Test CPU @ 2.00GHz, 2 cores · linux/x64 · Node v20.19.0');
    expect(md).toContain('1.50 / 1.25 / 1.00 at the start, 2.00 / 1.50 / 1.10 at the end');
    expect(md).not.toContain('other work shared the machine');
    const busy = sampleRun();
    busy.machine.loadEnd = [2.5, 2, 1];
    expect(renderMarkdown(busy)).toContain(
      '- The load average exceeded the 2 cores: other work shared the machine during this run.',
    );
  });

  it('has one table row per logpath figure, with the bare figure, ratio and goal', () => {
    expect(md).toContain('![logpath against the bare libraries, per scenario](benchmarks.svg)');
    expect(md).toContain(
      '| core: source → NullDestination | 2,000,000 | — | — | ≥ 1,000,000 msg/s ✅ | 80 | — |',
    );
    expect(md).toContain(
      '| ws: WebSocketSource, NDJSON×100 | 800,000 | 1,000,000 (bare ws, NDJSON×100) | 0.85× | ≥ 0.9× bare ❌ | 95 | — |',
    );
    expect(md).toContain(
      '| fetcher: HTTP: http-poller | 95,000 | 100,000 (http-bare) | 0.95× | ≥ 0.9× bare ✅ | 72 | ~100,000 ¹ |',
    );
  });

  it('lists references, failures and the source of every AxoSyslog figure', () => {
    expect(md).toContain(
      '| ws: bare ws + check, NDJSON×100 | 900,000 | 0.9× bare ws, NDJSON×100 | 92 |',
    );
    expect(md).toContain('| ws: bare+JSON.parse, NDJSON×100 | 500,000 | — | 91 |');
    expect(md).toContain('- kafka: 1M records: exited with code 1');
    expect(md).toMatch(
      /¹ ~100,000 msg\/s for a trivial Python `LogFetcher`.*Source: .*axosyslog-core-docs/,
    );
  });

  it('escapes table cells', () => {
    const run = sampleRun();
    run.scenarios[0]!.label = 'a | b';
    expect(renderMarkdown(run)).toContain('| a \\| b | 2,000,000 |');
  });
});
