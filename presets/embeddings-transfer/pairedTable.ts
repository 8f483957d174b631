import type { MethodRun } from '../finetune-methods/methodResults.ts';
import { pairedVerdict } from '../transfer-vs-scratch/pairedVerdict.ts';

const MODE = /-(frozen|fine-tuned)$/;

/**
 * Each pre-trained start against the random embedding in the same mode (frozen with frozen,
 * fine-tuned with fine-tuned), paired by seed (same labelled subsample) per size: the mean
 * difference of test macro-F1, its 95% t interval and what it says ("transfer ahead" only when
 * the interval excludes 0). A Markdown table; empty when no random variant was run.
 */
export function pairedTable(runs: readonly MethodRun[], sizes: readonly number[]): string {
  const trained = runs.filter((r) => r.backbone !== 'baseline');
  const lines: string[] = [];
  for (const c of [...new Set(trained.map((r) => r.backbone))]) {
    for (const v of [...new Set(trained.filter((r) => r.backbone === c && !r.method.startsWith('random-')).map((r) => r.method))]) {
      const mode = MODE.exec(v)?.[1];
      const cells = sizes.map((size) => {
        const diffs = trained
          .filter((r) => r.backbone === c && r.method === v && r.size === size)
          .flatMap((r) => {
            const base = trained.find((b) => b.backbone === c && b.method === `random-${mode}` && b.size === size && b.seed === r.seed);
            return base ? [r.f1 - base.f1] : [];
          });
        if (diffs.length === 0) return '–';
        const p = pairedVerdict(diffs);
        const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
        const sig = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
        return diffs.length > 1 ? `${sig(mean)} (${sig(p.low)} to ${sig(p.high)}): ${p.verdict}` : `${sig(mean)}: one seed`;
      });
      if (cells.some((x) => x !== '–')) lines.push(`| ${c} | ${v} vs random-${mode} | ${cells.join(' | ')} |`);
    }
  }
  if (lines.length === 0) return '';
  const head = `| classifier | embedding | ${sizes.map((s) => `Δ F1 at ${s === 0 ? 'all' : s}`).join(' | ')} |\n|:---|:---|${sizes.map(() => ':---').join('|')}|`;
  return [head, ...lines].join('\n') + '\n';
}
