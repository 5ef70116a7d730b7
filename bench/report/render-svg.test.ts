import { describe, expect, it } from 'vitest';
import { renderSvg, SVG_COLORS, xmlEscape } from './render-svg.js';
import { sampleRun } from './sample-run.js';

/** The `<rect>` bars of one colour, as [width, label text after them]. */
function bars(svg: string, color: string): number[] {
  return [
    ...svg.matchAll(
      new RegExp(`<rect x="\\d+" y="\\d+" width="(\\d+)" height="14" fill="${color}"/>`, 'g'),
    ),
  ].map((m) => Number(m[1]));
}

describe('renderSvg', () => {
  const svg = renderSvg(sampleRun());

  it('is a standalone SVG document without scripts', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/<script|href=/);
  });

  it('draws logpath, bare and AxoSyslog bars scaled per scenario, with labels', () => {
    // core: alone in its row; ws: 0.8 of bare; fetcher: 0.95 of bare and of AxoSyslog's 100k.
    expect(bars(svg, SVG_COLORS.logpath)).toEqual([420, 336, 399]);
    expect(bars(svg, SVG_COLORS.bare)).toEqual([420, 420]);
    expect(bars(svg, SVG_COLORS.axosyslog)).toEqual([420]);
    expect(svg).toContain('logpath 800k msg/s (0.85× bare)');
    expect(svg).toContain('bare 1.00M msg/s');
    expect(svg).toContain('AxoSyslog ~100k msg/s (docs estimate)');
  });

  it('marks each goal with a dashed line', () => {
    // Legend + core (1M of 2M) + ws (0.9 × 1M) + fetcher (0.9 × 100k).
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(4);
    expect(svg).toContain('<line x1="540" '); // 330 + 1M/2M × 420
  });

  it('escapes text', () => {
    expect(xmlEscape(`a<b & "c" 'd'>`)).toBe('a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
    const run = sampleRun();
    run.scenarios[0]!.label = '<core>';
    expect(renderSvg(run)).toContain('&lt;core&gt;');
  });
});
