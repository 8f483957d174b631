/**
 * A small SVG line chart for reports (no browser, no DOM, no dependency): one polyline per series,
 * linear axes with round ticks, a legend. The plot area and the data ranges are written on the
 * `<svg>` element (`data-plot`, `data-x`, `data-y`), so a reader (or a test) maps every point back
 * to its data coordinates: x = x0 + (px - left) / width * (x1 - x0), and y likewise from the bottom.
 */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 64, right: 16, top: 36, bottom: 44 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `n` of them. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const label = (v: number) => String(Number(v.toPrecision(4)));

/** The data range of the series on one axis, widened when flat so the line sits mid-height. */
function range(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi > lo) return [lo, hi];
  const pad = Math.abs(lo) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

export function lineChart(series: readonly Series[], opts: ChartOptions): string {
  const W = opts.width ?? 520;
  const H = opts.height ?? 300;
  const left = MARGIN.left;
  const top = MARGIN.top;
  const pw = W - MARGIN.left - MARGIN.right;
  const ph = H - MARGIN.top - MARGIN.bottom;
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const head = `<text x="${W / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(opts.title)}</text>`;
  if (pts.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="80" font-family="sans-serif" font-size="12">${head}<text x="${W / 2}" y="50" text-anchor="middle" fill="#666">no data</text></svg>`;
  }
  const [x0, x1] = range(pts.map((p) => p[0]));
  const [y0, y1] = range(pts.map((p) => p[1]));
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11" data-plot="${left},${top},${pw},${ph}" data-x="${x0},${x1}" data-y="${y0},${y1}">`,
    head,
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${f(px(t))}" y1="${top + ph}" x2="${f(px(t))}" y2="${top + ph + 4}" stroke="#999"/><text x="${f(px(t))}" y="${top + ph + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${left}" y1="${f(py(t))}" x2="${left + pw}" y2="${f(py(t))}" stroke="#eee"/><text x="${left - 6}" y="${f(py(t)) }" dy="4" text-anchor="end">${label(t)}</text>`);
  }
  if (opts.xLabel) parts.push(`<text x="${left + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#444">${escapeXml(opts.xLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (ok.length === 0) return;
    const attrs = `data-series="${escapeXml(s.name)}" fill="none" stroke="${color}" stroke-width="1.5"`;
    parts.push(ok.length === 1
      ? `<circle ${attrs.replace('fill="none"', `fill="${color}"`)} cx="${f(px(ok[0]![0]))}" cy="${f(py(ok[0]![1]))}" r="3"/>`
      : `<polyline ${attrs} points="${ok.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')}"/>`);
    if (series.length > 1) {
      const ly = top + 12 + i * 14;
      parts.push(`<line x1="${left + pw - 150}" y1="${ly - 4}" x2="${left + pw - 132}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><text x="${left + pw - 128}" y="${ly}">${escapeXml(s.name)}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}
