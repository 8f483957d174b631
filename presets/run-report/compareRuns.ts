import path from 'node:path';
import { formatValue } from '../../core/index.ts';
import { experimentOptions } from '../recipe/experiment.ts';
import { recipeKeys } from '../recipe/keys.ts';
import { recipeFromData } from '../recipe/recipeData.ts';
import { escapeXml as esc, lineChart, type Series } from './lineChart.ts';
import type { RunData } from './readRun.ts';

/** A run's configuration as flat keys: every recipe key with its value (defaults included), the experiment's keys, the seed. */
export function configKeys(run: RunData): Record<string, unknown> {
  const c = run.config;
  const out: Record<string, unknown> = { seed: c.seed };
  try {
    const r = recipeFromData(c.recipe);
    for (const k of recipeKeys(r)) out[k.key] = k.value;
    if (r.experiment) Object.assign(out, experimentOptions(r.experiment));
  } catch {
    // A run from before recipes (or with a package not installed here): its flat configuration.
    Object.assign(out, (c.config as Record<string, unknown>) ?? {});
  }
  return out;
}

/** The keys whose values are not the same in every run (a key missing from a run counts as different). */
export function differingKeys(configs: readonly Record<string, unknown>[]): string[] {
  const all = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  return all.filter((k) => new Set(configs.map((c) => (Object.hasOwn(c, k) ? JSON.stringify(c[k]) : '(absent)'))).size > 1).sort();
}

const label = (run: RunData) => path.basename(run.dir);

/** A Markdown table: the differing configuration keys, then each stage's final metrics per run. */
export function compareMarkdown(runs: readonly RunData[]): string {
  const configs = runs.map(configKeys);
  const diff = differingKeys(configs);
  const head = `| | ${runs.map(label).join(' | ')} |\n|---|${runs.map(() => '---:').join('|')}|`;
  const rows: string[] = diff.map((k) => `| ${k} | ${configs.map((c) => (Object.hasOwn(c, k) ? formatValue(c[k]) : '–')).join(' | ')} |`);
  const stages = [...new Set(runs.flatMap((r) => r.stages.map((s) => s.name)))];
  for (const st of stages) {
    const metricsOf = runs.map((r) => (r.stages.find((s) => s.name === st)?.result?.metrics as Record<string, unknown> | undefined) ?? {});
    const keys = [...new Set(metricsOf.flatMap((m) => Object.keys(m)))];
    for (const k of keys) rows.push(`| ${st}: ${k} | ${metricsOf.map((m) => (m[k] === undefined ? '–' : formatValue(m[k]))).join(' | ')} |`);
  }
  return `${head}\n${rows.join('\n')}\n`;
}

/** The compare page: the Markdown table's content, then per stage each metric's curves of every run overlaid. */
export function compareHtml(runs: readonly RunData[]): string {
  const stages = [...new Set(runs.flatMap((r) => r.stages.map((s) => s.name)))];
  const sections = stages.map((st) => {
    const per = runs.map((r) => ({ name: label(r), stage: r.stages.find((s) => s.name === st) }));
    const series = (type: string, key: string): Series[] =>
      per.map(({ name, stage }) => ({
        name,
        points: (stage?.records ?? []).flatMap((rec) => (rec.type === type && typeof rec.step === 'number' && typeof rec[key] === 'number' ? [[rec.step, rec[key] as number] as const] : [])),
      }));
    const evalKeys = [...new Set(per.flatMap(({ stage }) => (stage?.records ?? []).filter((r) => r.type === 'eval').flatMap((r) => Object.keys(r).filter((k) => !['type', 'step', 'epoch', 'split', 'time'].includes(k) && typeof r[k] === 'number'))))];
    const charts = [lineChart(series('train', 'loss'), { title: 'training loss', xLabel: 'step' }), lineChart(series('train', 'lr'), { title: 'learning rate', xLabel: 'step' }), ...evalKeys.map((k) => lineChart(series('eval', k), { title: k, xLabel: 'step' }))];
    return `<section><h2>${esc(st)}</h2><div class="charts">${charts.join('\n')}</div></section>`;
  });
  const md = compareMarkdown(runs);
  const table = md
    .trim()
    .split('\n')
    .filter((_, i) => i !== 1)
    .map((line, i) => `<tr>${line.slice(1, -1).split(' | ').map((cell) => (i === 0 ? `<th>${esc(cell.trim())}</th>` : `<td>${esc(cell.trim())}</td>`)).join('')}</tr>`)
    .join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>compare ${esc(runs.map(label).join(', '))}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1200px}table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:3px 8px;font-size:13px}th{background:#f6f6f6}.charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{border:1px solid #eee}</style>
</head><body>
<h1>compare: ${esc(runs.map(label).join(', '))}</h1>
<p>Configuration keys that differ, then each stage's final metrics.</p>
<table>${table}</table>
${sections.join('\n')}
</body></html>
`;
}
