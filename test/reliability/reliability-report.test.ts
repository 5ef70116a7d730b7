import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseRow,
  readRows,
  renderReport,
  type ReportRow,
} from '../../scripts/reliability-report.js';

const row = (over: Partial<ReportRow> = {}): ReportRow => ({
  scenario: 'overload-core',
  load: '10× | overload',
  injected: 'none',
  sent: 10,
  delivered: 10,
  duplicated: 0,
  lost: 0,
  peakRssMiB: 101.25,
  ...over,
});

describe('scripts/reliability-report', () => {
  it('renders one table row per result, sorted, with escaped cells and details', () => {
    const text = renderReport([
      row({ scenario: 'z-last', lost: 3, peakRssMiB: null }),
      row({ details: { throughputMsgPerSec: 9000 } }),
    ]);
    const lines = text.split('\n');
    const table = lines.filter((l) => l.startsWith('| '));
    expect(table[0]).toBe(
      '| Scenario | Load | Injected | Sent | Delivered | Duplicated | Lost | Peak RSS (MiB) |',
    );
    expect(table[2]).toBe('| overload-core | 10× \\| overload | none | 10 | 10 | 0 | 0 | 101.3 |');
    expect(table[3]).toBe('| z-last | 10× \\| overload | none | 10 | 10 | 0 | **3** | – |');
    expect(text).toContain('**Lost in total: 3.**');
    expect(text).toContain('### overload-core\n\n- throughputMsgPerSec: 9000');
  });

  it('rejects result files of the wrong shape, naming the file and the field', async () => {
    expect(() => parseRow({ ...row(), lost: -1 }, 'x.json')).toThrow(
      'x.json: "lost" must be a count',
    );
    expect(() => parseRow({ ...row(), scenario: '' }, 'x.json')).toThrow('"scenario"');
    expect(() => parseRow({ ...row(), peakRssMiB: '5' }, 'x.json')).toThrow('"peakRssMiB"');
    expect(() => parseRow({ ...row(), details: { a: [] } }, 'x.json')).toThrow('"details"');
    expect(() => parseRow([], 'x.json')).toThrow('not a JSON object');
    const dir = await mkdtemp(join(tmpdir(), 'logpath-report-'));
    await writeFile(join(dir, 'a.json'), JSON.stringify(row()));
    await writeFile(join(dir, 'ignored.txt'), 'not a result');
    expect(await readRows(dir)).toEqual([row()]);
    await writeFile(join(dir, 'b.json'), '{');
    await expect(readRows(dir)).rejects.toThrow(/b\.json: not valid JSON/);
    expect(await readRows(join(dir, 'missing'))).toEqual([]);
  });
});
