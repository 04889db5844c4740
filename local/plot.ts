/**
 * Small SVG charts the bench writes next to its figures (no charting library: three chart kinds, plain SVG).
 */
const W = 560;
const H = 300;
const M = { top: 40, right: 20, bottom: 50, left: 64 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function frame(title: string, yLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>
<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${body}
</svg>
`;
}

function yAxis(max: number): { scale: (v: number) => number; svg: string } {
  const plotH = H - M.top - M.bottom;
  const scale = (v: number) => Number((M.top + plotH - (v / max) * plotH).toFixed(1));
  const ticks = Array.from({ length: 5 }, (_, i) => (max * i) / 4);
  const svg = ticks
    .map(
      (t) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${scale(t)}" y2="${scale(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${scale(t) + 4}" text-anchor="end">${Math.round(t)}</text>`,
    )
    .join('\n');
  return { scale, svg };
}

/** Bars with a value label each, and optional horizontal reference lines. */
export function barChart(
  title: string,
  yLabel: string,
  bars: { label: string; value: number }[],
  references: { label: string; value: number }[] = [],
): string {
  const max = Math.max(...bars.map((b) => b.value), ...references.map((r) => r.value)) * 1.15 || 1;
  const { scale, svg } = yAxis(max);
  const slot = (W - M.left - M.right) / bars.length;
  const rects = bars
    .map((b, i) => {
      const x = M.left + i * slot + slot * 0.2;
      return `<rect x="${x}" y="${scale(b.value)}" width="${slot * 0.6}" height="${scale(0) - scale(b.value)}" fill="#3b6ea5"/>
<text x="${x + slot * 0.3}" y="${scale(b.value) - 5}" text-anchor="middle">${Math.round(b.value)}</text>
<text x="${x + slot * 0.3}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(b.label)}</text>`;
    })
    .join('\n');
  const refs = references
    .map(
      (r) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${scale(r.value)}" y2="${scale(r.value)}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="${W - M.right}" y="${scale(r.value) - 5}" text-anchor="end" fill="#c0392b">${esc(r.label)}</text>`,
    )
    .join('\n');
  return frame(title, yLabel, `${svg}\n${rects}\n${refs}`);
}

/** One dot per sample (jittered sideways), the median as a bar, and reference lines. */
export function stripChart(
  title: string,
  yLabel: string,
  samples: readonly number[],
  references: { label: string; value: number }[],
): string {
  const max = Math.max(...samples, ...references.map((r) => r.value)) * 1.15 || 1;
  const { scale, svg } = yAxis(max);
  const cx = (W + M.left - M.right) / 2;
  const dots = samples
    .map(
      (s, i) => `<circle cx="${cx - 60 + ((i * 37) % 120)}" cy="${scale(s)}" r="4" fill="#3b6ea5" fill-opacity="0.7"/>`,
    )
    .join('\n');
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
  const med = `<line x1="${cx - 80}" x2="${cx + 80}" y1="${scale(median)}" y2="${scale(median)}" stroke="#222" stroke-width="2"/><text x="${cx + 84}" y="${scale(median) + 4}">median ${Math.round(median)}</text>`;
  const refs = references
    .map(
      (r) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${scale(r.value)}" y2="${scale(r.value)}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="${M.left + 4}" y="${scale(r.value) - 5}" fill="#c0392b">${esc(r.label)}</text>`,
    )
    .join('\n');
  const note = `<text x="${W / 2}" y="${H - 14}" text-anchor="middle">${samples.length} samples</text>`;
  return frame(title, yLabel, `${svg}\n${dots}\n${med}\n${refs}\n${note}`);
}

const COLOURS = ['#3b6ea5', '#c0392b', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d'];

/** Lines (x in minutes, unless `xLabel` says otherwise), a legend, and optional horizontal reference lines. */
export function lineChart(
  title: string,
  yLabel: string,
  series: { label: string; points: readonly [number, number][] }[],
  references: { label: string; value: number }[] = [],
  xLabel = 'minutes',
): string {
  const all = series.flatMap((s) => s.points);
  const max = Math.max(...all.map(([, y]) => y), ...references.map((r) => r.value)) * 1.15 || 1;
  const maxX = Math.max(...all.map(([x]) => x)) || 1;
  const { scale, svg } = yAxis(max);
  const plotW = W - M.left - M.right;
  const x = (v: number) => Number((M.left + (v / maxX) * plotW).toFixed(1));
  const xTicks = Array.from({ length: 5 }, (_, i) => (maxX * i) / 4)
    .map((t) => `<text x="${x(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${Math.round(t)}</text>`)
    .join('\n');
  const lines = series
    .map(
      (s, i) =>
        `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5" points="${s.points.map(([px, py]) => `${x(px)},${scale(py)}`).join(' ')}"/>`,
    )
    .join('\n');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${M.left + 8 + (i % 4) * 125}" y="${M.top - 6 + Math.floor(i / 4) * 13}" fill="${COLOURS[i % COLOURS.length]}">${esc(s.label)}</text>`,
    )
    .join('\n');
  const refs = references
    .map(
      (r) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${scale(r.value)}" y2="${scale(r.value)}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="${W - M.right}" y="${scale(r.value) - 5}" text-anchor="end" fill="#c0392b">${esc(r.label)}</text>`,
    )
    .join('\n');
  const axis = `<text x="${W / 2}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`;
  return frame(title, yLabel, `${svg}\n${xTicks}\n${lines}\n${legend}\n${refs}\n${axis}`);
}
