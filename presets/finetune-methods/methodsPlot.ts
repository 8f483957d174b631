import { yFloor } from '../transfer-vs-scratch/f1Plot.ts';
import type { MethodRow } from './methodResults.ts';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const BASELINE = '#7f7f7f';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number) => x.toFixed(1);

/**
 * Test macro-F1 against labelled examples (log x), one panel per backbone: a line per method
 * (mean over seeds, markers `circle.mean`), the baselines dashed and grey in every panel. SVG by hand.
 */
export function methodsPlot(rows: readonly MethodRow[], opts: { title?: string } = {}): string {
  const backbones = [...new Set(rows.filter((r) => r.backbone !== 'baseline').map((r) => r.backbone))];
  const baselines = rows.filter((r) => r.backbone === 'baseline');
  const methods = [...new Set(rows.filter((r) => r.backbone !== 'baseline').map((r) => r.method))];
  const PW = 420;
  const H = 420;
  const M = { left: 56, right: 16, top: 48, bottom: 120 };
  const W = PW * Math.max(1, backbones.length);
  const examples = (r: MethodRow) => r.bySize.map((b) => b.examples).filter((n) => n > 0);
  const ns = rows.flatMap(examples);
  const lo = Math.log10(Math.min(...ns) / 1.3);
  const hi = Math.log10(Math.max(...ns) * 1.3);
  const yMin = yFloor(rows.flatMap((r) => r.bySize.filter((b) => b.f1.n > 0).map((b) => b.f1.mean)));
  const y0 = H - M.bottom;
  const y = (v: number) => y0 - ((v - yMin) / (1 - yMin)) * (y0 - M.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(opts.title ?? 'Test macro-F1 against labelled examples')}</text>`,
  ];
  backbones.forEach((bb, p) => {
    const x0 = p * PW + M.left;
    const x1 = (p + 1) * PW - M.right;
    const x = (n: number) => x0 + ((Math.log10(n) - lo) / (hi - lo || 1)) * (x1 - x0);
    out.push(`<g class="panel" data-backbone="${esc(bb)}">`);
    out.push(`<text x="${(x0 + x1) / 2}" y="${M.top - 10}" text-anchor="middle" font-weight="bold">${esc(bb)}</text>`);
    for (let v = yMin; v <= 1 + 1e-9; v = Math.round((v + 0.1) * 1000) / 1000) {
      out.push(`<line x1="${x0}" x2="${x1}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${x0 - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`);
    }
    for (const n of [...new Set(ns)]) out.push(`<text class="xtick" x="${f(x(n))}" y="${y0 + 16}" text-anchor="middle">${n}</text>`);
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/><line x1="${x0}" x2="${x0}" y1="${y0}" y2="${M.top}" stroke="#333"/>`);
    const series = [...rows.filter((r) => r.backbone === bb), ...baselines];
    for (const r of series) {
      const pts = r.bySize.filter((b) => b.f1.n > 0 && b.examples > 0);
      if (!pts.length) continue;
      const base = r.backbone === 'baseline';
      const color = base ? BASELINE : COLORS[methods.indexOf(r.method) % COLORS.length]!;
      out.push(`<g class="series" data-method="${esc(r.method)}">`);
      out.push(`<polyline points="${pts.map((b) => `${f(x(b.examples))},${f(y(b.f1.mean))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${base ? ' stroke-dasharray="6 4"' : ''}/>`);
      for (const b of pts) out.push(`<circle class="mean" cx="${f(x(b.examples))}" cy="${f(y(b.f1.mean))}" r="3" fill="${color}"><title>${esc(`${bb} ${r.method}, ${b.examples}: F1 ${b.f1.mean.toFixed(3)} ± ${b.f1.std.toFixed(3)}`)}</title></circle>`);
      out.push('</g>');
    }
    out.push('</g>');
  });
  // Legend under the panels.
  const legend = [...methods.map((m, i) => ({ label: m, color: COLORS[i % COLORS.length]!, dash: false })), ...baselines.map((b) => ({ label: b.method, color: BASELINE, dash: true }))];
  legend.forEach((l, i) => {
    const lx = M.left + (i % 4) * 170;
    const ly = H - M.bottom + 44 + Math.floor(i / 4) * 18;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 28}" y="${ly}">${esc(l.label)}</text>`);
  });
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#555">labelled training examples (log scale); mean over seeds</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
