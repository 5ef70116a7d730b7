import { describe, expect, it } from 'vitest';
import { parseBenchOutput } from './bench-run.js';

describe('parseBenchOutput', () => {
  it('keeps the JSON result lines and ignores other output', () => {
    const out = [
      'warming up',
      '{"scenario":"a","messages":10,"seconds":1,"perSecond":10,"peakRssMiB":5}',
      '  {"scenario":"b","messages":20,"seconds":1,"perSecond":20,"peakRssMiB":6,"ratio":2,"extra":true}',
      'done',
    ].join('\n');
    const lines = parseBenchOutput(out);
    expect(lines.map((l) => l.scenario)).toEqual(['a', 'b']);
    expect(lines[1]).toMatchObject({ ratio: 2, extra: true });
  });

  it('rejects a result line whose format changed, naming it', () => {
    expect(() => parseBenchOutput('{"scenario":"a","rate":10}')).toThrow(/lacks .*"rate":10/);
    expect(() => parseBenchOutput('{not json')).toThrow(/not a JSON result line: \{not json/);
  });
});
