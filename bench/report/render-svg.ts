/**
 * docs/benchmarks.svg from a {@link BenchRun}: per scenario, grouped
 * horizontal bars for logpath, the bare library of the same run and
 * AxoSyslog's published figure, each labelled with its value. Plain SVG 1.1,
 * no script or external font, so GitHub shows it as an image.
 */
import type { BenchRun } from './bench-run.js';
import { shortRate, toReportRows, type ReportRow } from './report-rows.js';

/** Bar colours, also used by the legend. */
export const SVG_COLORS = Object.freeze({
  logpath: '#2f6fde',
  bare: '#9aa0a6',
  axosyslog: '#e8710a',
  goal: '#1e1e1e',
});

const WIDTH = 1040;
const LABEL_X = 10;
const BAR_X = 330;
const BAR_MAX = 420;
const BAR_H = 14;
const BAR_GAP = 3;
const ROW_PAD = 12;
const FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"';

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Bar {
  color: string;
  value: number;
  label: string;
}

function barsOf(r: ReportRow): Bar[] {
  const ratio = r.ratio !== undefined ? ` (${r.ratio}× bare)` : '';
  const bars: Bar[] = [
    {
      color: SVG_COLORS.logpath,
      value: r.perSecond,
      label: `logpath ${shortRate(r.perSecond)} msg/s${ratio}`,
    },
  ];
  if (r.bare)
    bars.push({
      color: SVG_COLORS.bare,
      value: r.bare.perSecond,
      label: `bare ${shortRate(r.bare.perSecond)} msg/s`,
    });
  if (r.axosyslog)
    bars.push({
      color: SVG_COLORS.axosyslog,
      value: r.axosyslog.perSecond,
      label: `AxoSyslog ~${shortRate(r.axosyslog.perSecond)} msg/s (docs estimate)`,
    });
  return bars;
}

/** The goal in messages/s, where the row has one that can be drawn. */
function goalRate(r: ReportRow): number | undefined {
  if (r.goal === undefined) return undefined;
  if (r.goal.kind === 'rate') return r.goal.value;
  return r.bare ? r.goal.value * r.bare.perSecond : undefined;
}

function rowSvg(r: ReportRow, top: number): { svg: string[]; height: number } {
  const bars = barsOf(r);
  const goal = goalRate(r);
  // Scaled per scenario: rates differ by orders of magnitude between scenarios.
  const max = Math.max(...bars.map((b) => b.value), goal ?? 0, 1);
  const height = bars.length * (BAR_H + BAR_GAP) - BAR_GAP;
  const svg: string[] = [
    `<text x="${LABEL_X}" y="${top + BAR_H - 2}" ${FONT}>${xmlEscape(r.name)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * (BAR_H + BAR_GAP);
    const w = Math.max(1, Math.round((b.value / max) * BAR_MAX));
    svg.push(
      `<rect x="${BAR_X}" y="${y}" width="${w}" height="${BAR_H}" fill="${b.color}"/>`,
      `<text x="${BAR_X + w + 5}" y="${y + BAR_H - 3}" ${FONT} fill="#333">${xmlEscape(b.label)}</text>`,
    );
  });
  if (goal !== undefined) {
    const x = BAR_X + Math.round((goal / max) * BAR_MAX);
    svg.push(
      `<line x1="${x}" y1="${top - 3}" x2="${x}" y2="${top + height + 3}" stroke="${SVG_COLORS.goal}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    );
  }
  return { svg, height };
}

/**
 * The SVG text of the chart. Pure: everything comes from `run`. Each
 * scenario's bars are scaled to its own largest figure (or goal), since
 * throughputs differ by orders of magnitude between scenarios; the labels
 * carry the absolute values.
 */
export function renderSvg(run: BenchRun): string {
  const { rows } = toReportRows(run);
  const body: string[] = [];
  const legend: [string, string][] = [
    [SVG_COLORS.logpath, 'logpath'],
    [SVG_COLORS.bare, 'bare library, same run'],
    [SVG_COLORS.axosyslog, 'AxoSyslog, published figure'],
  ];
  let x = LABEL_X;
  for (const [color, text] of legend) {
    body.push(
      `<rect x="${x}" y="52" width="12" height="12" fill="${color}"/>`,
      `<text x="${x + 17}" y="62" ${FONT}>${xmlEscape(text)}</text>`,
    );
    x += 30 + text.length * 7;
  }
  body.push(
    `<line x1="${x}" y1="52" x2="${x}" y2="64" stroke="${SVG_COLORS.goal}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    `<text x="${x + 6}" y="62" ${FONT}>goal</text>`,
  );
  let y = 84;
  for (const r of rows) {
    const { svg, height } = rowSvg(r, y);
    body.push(...svg);
    y += height + ROW_PAD;
    body.push(
      `<line x1="${LABEL_X}" y1="${y - ROW_PAD / 2}" x2="${WIDTH - 10}" y2="${y - ROW_PAD / 2}" stroke="#e3e3e3"/>`,
    );
  }
  if (rows.length === 0)
    body.push(`<text x="${LABEL_X}" y="${y + 12}" ${FONT}>No scenario produced a result.</text>`);
  const height = y + 24;
  const title = 'logpath against the bare libraries, messages per second';
  const m = run.machine;
  const subtitle =
    `${m.date.slice(0, 10)} · ${m.cpuModel}, ${m.cores} cores · Node ${m.node} · ` +
    `load ${m.loadStart.map((n) => n.toFixed(2)).join('/')} · bars scaled per scenario`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${xmlEscape(title)}">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="22" font-family="Helvetica, Arial, sans-serif" font-size="16" font-weight="bold">${xmlEscape(title)}</text>`,
    `<text x="${LABEL_X}" y="40" ${FONT} fill="#555">${xmlEscape(subtitle)}</text>`,
    ...body,
    `<text x="${LABEL_X}" y="${height - 8}" font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#777">Generated by npm run bench; figures and sources in docs/benchmarks.md.</text>`,
    '</svg>',
    '',
  ].join('\n');
}
