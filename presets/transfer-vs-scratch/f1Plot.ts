import type { RunRecord, SizeRow } from './aggregate.ts';
import { sizeLabel } from './resultsTable.ts';

export interface PlotOptions {
  title?: string;
  width?: number;
  height?: number;
}

const SERIES = [
  { key: 'scratch', variant: 'scratch', label: 'from scratch', color: '#d62728', dash: '' },
  { key: 'transfer', variant: 'transfer', label: 'from the pre-trained encoder (ULMFiT)', color: '#1f77b4', dash: '' },
  { key: 'bagOfWords', variant: 'bag-of-words', label: 'bag-of-words logistic regression', color: '#7f7f7f', dash: ' stroke-dasharray="6 4"' },
] as const;

const MARGIN = { left: 64, right: 24, top: 44, bottom: 56 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (x: number) => x.toFixed(1);

/** Lower end of the F1 axis: a tenth (or twentieth) below the lowest value, never below 0. */
export function yFloor(values: readonly number[]): number {
  const lo = Math.min(...values.filter(Number.isFinite), 1);
  return Math.max(0, Math.floor((lo - 0.02) * 10) / 10);
}

/**
 * An SVG line chart of test F1 against labelled examples (log x axis): per variant, the mean over
 * seeds as a line with a marker per size (`circle.mean`), the min–max range over seeds as a band
 * (`polygon.band`), and every run as a small dot (`circle.run`). Hand-written SVG, no dependencies.
 */
export function f1Plot(rows: readonly SizeRow[], runs: readonly RunRecord[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 440;
  const x0 = MARGIN.left;
  const x1 = W - MARGIN.right;
  const y0 = H - MARGIN.bottom;
  const y1 = MARGIN.top;
  const ns = rows.map((r) => r.examples);
  const lo = Math.log10(Math.min(...ns) / 1.3);
  const hi = Math.log10(Math.max(...ns) * 1.3);
  const x = (n: number) => x0 + ((Math.log10(n) - lo) / (hi - lo || 1)) * (x1 - x0);
  const plotted = runs.filter((r) => SERIES.some((s) => s.variant === r.variant));
  const yMin = yFloor([...plotted.map((r) => r.f1), ...rows.flatMap((r) => SERIES.map((s) => r[s.key].f1.min))]);
  const y = (v: number) => y0 - ((v - yMin) / (1 - yMin)) * (y0 - y1);
  const step = 1 - yMin <= 0.3 ? 0.05 : 0.1;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title ?? 'Test macro-F1 against labelled examples')}</text>`);
  // Grid and y ticks.
  for (let k = 0; ; k++) {
    const v = Math.round((yMin + k * step) * 1000) / 1000;
    if (v > 1 + 1e-9) break;
    out.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text class="ytick" x="${x0 - 8}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(step < 0.1 ? 2 : 1)}</text>`);
  }
  // x ticks at the measured sizes.
  for (const r of rows) {
    out.push(`<line x1="${f(x(r.examples))}" x2="${f(x(r.examples))}" y1="${y0}" y2="${y0 + 5}" stroke="#333"/>`);
    out.push(`<text class="xtick" x="${f(x(r.examples))}" y="${y0 + 19}" text-anchor="middle">${esc(sizeLabel(r))}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 12}" text-anchor="middle">labelled training examples (log scale)</text>`);
  out.push(`<text transform="translate(16 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">test macro-F1</text>`);

  for (const s of SERIES) {
    const pts = rows.filter((r) => r[s.key].f1.n > 0);
    if (pts.length === 0) continue;
    const upper = pts.map((r) => `${f(x(r.examples))},${f(y(r[s.key].f1.max))}`);
    const lower = pts.map((r) => `${f(x(r.examples))},${f(y(r[s.key].f1.min))}`).reverse();
    out.push(`<g class="series" data-variant="${s.variant}">`);
    out.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`);
    out.push(`<polyline class="mean-line" points="${pts.map((r) => `${f(x(r.examples))},${f(y(r[s.key].f1.mean))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash}/>`);
    for (const r of pts) {
      const m = r[s.key].f1;
      out.push(
        `<circle class="mean" cx="${f(x(r.examples))}" cy="${f(y(m.mean))}" r="4" fill="${s.color}"><title>${esc(s.label)}, ${esc(sizeLabel(r))}: ` +
          `F1 ${m.mean.toFixed(3)} ± ${m.std.toFixed(3)} (${m.n} seeds)</title></circle>`,
      );
    }
    for (const run of runs.filter((r) => r.variant === s.variant)) {
      out.push(`<circle class="run" cx="${f(x(run.examples))}" cy="${f(y(run.f1))}" r="2" fill="none" stroke="${s.color}"/>`);
    }
    out.push('</g>');
  }
  // Legend, bottom right (the curves rise to the top right).
  const lx = x1 - 290;
  const shown = SERIES.filter((s) => rows.some((r) => r[s.key].f1.n > 0));
  const ly = y0 - 28 - 18 * shown.length;
  out.push(`<rect x="${lx - 10}" y="${ly - 16}" width="290" height="${28 + 18 * shown.length}" fill="#ffffff" fill-opacity="0.9" stroke="#ccc"/>`);
  shown.forEach((s, i) => {
    const yy = ly + i * 18;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${yy - 4}" y2="${yy - 4}" stroke="${s.color}" stroke-width="2"${s.dash}/>`);
    out.push(`<text x="${lx + 30}" y="${yy}">${esc(s.label)}</text>`);
  });
  out.push(`<text x="${lx}" y="${ly + 18 * shown.length + 2}" fill="#555">mean over seeds; band: min–max; dots: single runs</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
