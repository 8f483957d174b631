import { formatNumber, formatValue } from '../../core/index.ts';
import { escapeXml as esc, lineChart, type Series } from './lineChart.ts';
import type { RunData, StageData } from './readRun.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The charts of one stage: training loss, learning rate, and each evaluated metric, against step. */
export function stageCharts(s: StageData): string[] {
  const train = s.records.filter((r) => r.type === 'train');
  const evals = s.records.filter((r) => r.type === 'eval');
  const points = (rs: Record<string, unknown>[], key: string) =>
    rs.flatMap((r) => (num(r.step) !== undefined && num(r[key]) !== undefined ? [[num(r.step)!, num(r[key])!] as const] : []));
  const charts: string[] = [];
  if (train.some((r) => num(r.loss) !== undefined)) charts.push(lineChart([{ name: 'training loss', points: points(train, 'loss') }], { title: 'training loss', xLabel: 'step' }));
  if (train.some((r) => num(r.lr) !== undefined)) charts.push(lineChart([{ name: 'learning rate', points: points(train, 'lr') }], { title: 'learning rate', xLabel: 'step' }));
  const keys = [...new Set(evals.flatMap((r) => Object.keys(r).filter((k) => !['type', 'step', 'epoch', 'split', 'time'].includes(k) && num(r[k]) !== undefined)))];
  for (const key of keys) charts.push(lineChart([{ name: key, points: points(evals, key) }], { title: key, xLabel: 'step' }));
  return charts;
}

/** Tokens a second over the stage's training records (first to last), or undefined. */
export function throughput(s: StageData): number | undefined {
  const train = s.records.filter((r) => r.type === 'train' && num(r.tokens) !== undefined && num(r.time) !== undefined);
  if (train.length < 2) return undefined;
  const a = train[0]!;
  const b = train[train.length - 1]!;
  const dt = (b.time as number) - (a.time as number);
  return dt > 0 ? ((b.tokens as number) - (a.tokens as number)) / dt : undefined;
}

function table(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function confusionTable(m: unknown, names: unknown): string {
  if (!Array.isArray(m) || !m.every(Array.isArray)) return '';
  const n = (i: number) => (Array.isArray(names) && typeof names[i] === 'string' ? names[i] : `class ${i}`);
  const head = `<tr><th>true \\ predicted</th>${m.map((_, j) => `<th>${esc(n(j))}</th>`).join('')}</tr>`;
  const body = m.map((row: unknown[], i) => `<tr><th>${esc(n(i))}</th>${row.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('');
  return `<h4>confusion matrix (test)</h4><table class="cm">${head}${body}</table>`;
}

/** The id of a stage's section (`runs/n8-s1/scratch` → `stage-runs-n8-s1-scratch`). */
const anchor = (name: string) => `stage-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;

/** Links to the run folder's own files (relative, so the folder can move) and to each stage's section. */
function contents(stages: readonly StageData[], files: readonly string[]): string {
  const links = files.map((f) => `<a href="${esc(encodeURI(f))}">${esc(f)}</a>`).join(' · ');
  const list = stages.length > 1
    ? `<ul class="stages">${stages.map((s) => `<li><a href="#${esc(anchor(s.name))}">${esc(s.name)}</a>${s.result ? '' : ' (not complete)'}</li>`).join('')}</ul>`
    : '';
  return `${links ? `<p>files: ${links}</p>` : ''}${list ? `<h3>stages</h3>${list}` : ''}`;
}

function stageSection(s: StageData): string {
  const r = s.result;
  const rows: [string, string][] = [];
  if (r) {
    for (const k of ['stopReason', 'steps', 'tokens', 'seconds']) if (r[k] !== undefined) rows.push([k, formatValue(r[k])]);
    const tps = throughput(s);
    if (tps !== undefined) rows.push(['tokens/s', formatNumber(tps)]);
    for (const [k, v] of Object.entries((r.metrics as Record<string, unknown>) ?? {})) rows.push([k, formatValue(v)]);
    for (const [k, v] of Object.entries(r)) {
      if (['stopReason', 'steps', 'tokens', 'seconds', 'metrics', 'sample', 'confusion', 'class_names'].includes(k) || k.endsWith('_loaded')) continue;
      rows.push([k, formatValue(v)]);
    }
  }
  const sample = typeof r?.sample === 'string' ? `<h4>sample</h4><pre>${esc(r.sample)}</pre>` : '';
  return [
    `<section id="${esc(anchor(s.name))}"><h2>${esc(s.name)}</h2>`,
    r ? table(rows) : '<p>not complete (no result.json)</p>',
    `<div class="charts">${stageCharts(s).join('\n')}</div>`,
    sample,
    confusionTable(r?.confusion, r?.class_names),
    '</section>',
  ].join('\n');
}

/** The recipe as its stages and plugins with the options the recipe gives (config.json's `recipe`). */
function recipeSection(config: Record<string, unknown>): string {
  const stages = (config.recipe as { stages?: { name: string; trainer?: unknown; use?: { plugin?: string; slot?: string; options?: unknown }[] }[] } | undefined)?.stages;
  if (!stages) return '';
  const items = stages.map(
    (s) =>
      `<li><b>${esc(s.name)}</b>${s.trainer ? ` <code>${esc(JSON.stringify(s.trainer))}</code>` : ''}<ul>${(s.use ?? [])
        // An empty slot (no plugin unless a key fills it) is written as { slot } alone.
        .map((u) => (u.plugin === undefined ? `<li>slot <code>${esc(u.slot ?? '?')}</code>: empty</li>` : `<li><code>${esc(u.plugin)}</code>${u.options ? ` <code>${esc(JSON.stringify(u.options))}</code>` : ''}</li>`))
        .join('')}</ul></li>`,
  );
  return `<details><summary>recipe: stages and plugins</summary><ul>${items.join('')}</ul></details>`;
}

export interface ReportExtras {
  /** Each stage's loop as `graft describe` prints it. */
  loop?: string;
  /** An experiment's results.md text and its SVG plot, shown above the stages. */
  resultsMd?: string;
  plotSvg?: string;
  /** Files of the run folder to link to (relative paths: results.md, f1-vs-size.svg). */
  files?: string[];
}

/** A self-contained page (inline SVG and CSS, no script) on a run folder. */
export function reportHtml(run: RunData, extras: ReportExtras = {}): string {
  const c = run.config;
  const settings = c.settings as { set?: Record<string, unknown>; use?: Record<string, unknown> } | undefined;
  const head: [string, string][] = [
    ['preset', String(c.preset ?? '?')],
    ['seed', String(c.seed ?? '?')],
    ['backend', String(c.backend ?? '?')],
    ['created', String(c.created ?? '?')],
    ['run folder', run.dir],
  ];
  for (const [k, v] of Object.entries(settings?.set ?? {})) head.push([`--set ${k}`, String(v)]);
  for (const [k, v] of Object.entries(settings?.use ?? {})) head.push([`--use ${k}`, String(v)]);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(String(c.preset ?? 'run'))} report</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}
th{background:#f6f6f6}.charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{border:1px solid #eee}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}section{border-top:2px solid #ccc;margin-top:18px}</style>
</head><body>
<h1>${esc(String(c.preset ?? 'run'))}</h1>
${table(head)}
${recipeSection(c)}
${extras.loop !== undefined ? `<details><summary>the loop of each stage (as graft describe prints it)</summary><pre>${esc(extras.loop)}</pre></details>` : ''}
${contents(run.stages, extras.files ?? [])}
${extras.resultsMd !== undefined ? `<h2>results</h2><pre>${esc(extras.resultsMd)}</pre>` : ''}
${extras.plotSvg ?? ''}
${run.stages.map(stageSection).join('\n')}
</body></html>
`;
}
