import type { RunRecord, SizeRow, Spread } from './aggregate.ts';

function pm(s: Spread, digits = 3, signed = false): string {
  if (s.n === 0) return '–';
  const sign = signed && s.mean >= 0 ? '+' : '';
  return `${sign}${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}` : '–');

/** The label of a size: the number of examples, and "all" for the whole training split. */
export function sizeLabel(row: Pick<SizeRow, 'size' | 'examples'>): string {
  return row.size === 0 ? `all (${row.examples})` : String(row.examples);
}

/**
 * A Markdown table of test macro-F1, mean ± sample std over seeds, per size: the baselines on the
 * same subsamples (majority class of the training labels, bag-of-words logistic regression),
 * both classifiers, their difference paired by seed with its 95% interval and what it says
 * (ahead only beyond the run-to-run noise), and the runs that predicted one class for the whole
 * test set (a collapsed run shows otherwise only as a large std; its F1 is the majority's) or for
 * at least 95% of it (mostly one class: near the majority's F1).
 */
export function resultsTable(rows: readonly SizeRow[]): string {
  const head =
    '| labelled examples | seeds | majority F1 | bag-of-words F1 | scratch F1 | transfer F1 | Δ F1 (transfer − scratch) | 95% interval of Δ | verdict | one-class runs (scratch / transfer) | mostly-one-class runs (scratch / transfer) |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|';
  const lines = rows.map(
    (r) =>
      `| ${sizeLabel(r)} | ${r.seeds.length} | ${pm(r.majority.f1)} | ${pm(r.bagOfWords.f1)} | ${pm(r.scratch.f1)} | ${pm(r.transfer.f1)} | ` +
      `${pm(r.f1Difference, 3, true)} | ${r.f1Difference.n > 1 ? `${signed(r.verdict.low)} to ${signed(r.verdict.high)}` : '–'} | ${r.verdict.verdict} | ` +
      `${r.collapsed.scratch} / ${r.collapsed.transfer} | ${r.mostlyOneClass.scratch} / ${r.mostlyOneClass.transfer} |`,
  );
  return [head, ...lines].join('\n') + '\n';
}

/** Test accuracy per size, mean ± sample std over seeds, next to the F1 table. */
export function accuracyTable(rows: readonly SizeRow[]): string {
  const head = '| labelled examples | majority accuracy | bag-of-words accuracy | scratch accuracy | transfer accuracy |\n|---:|---:|---:|---:|---:|';
  const lines = rows.map((r) => `| ${sizeLabel(r)} | ${pm(r.majority.accuracy)} | ${pm(r.bagOfWords.accuracy)} | ${pm(r.scratch.accuracy)} | ${pm(r.transfer.accuracy)} |`);
  return [head, ...lines].join('\n') + '\n';
}

const VARIANTS: readonly RunRecord['variant'][] = ['majority', 'bag-of-words', 'scratch', 'transfer'];

/**
 * Every run: one line per size and seed, F1 / accuracy of each variant, a run that predicted one
 * class marked "one class", one that predicted one class for at least 95% of the test set
 * "mostly one class" (so a mean is never read without the runs behind it).
 */
export function perSeedTable(rows: readonly SizeRow[], runs: readonly RunRecord[]): string {
  const head = `| labelled examples | seed | ${VARIANTS.map((v) => `${v} F1 / accuracy`).join(' | ')} |\n|---:|---:|${VARIANTS.map(() => '---:').join('|')}|`;
  const lines: string[] = [];
  for (const r of rows) {
    for (const seed of r.seeds) {
      const cells = VARIANTS.map((v) => {
        const run = runs.find((x) => x.size === r.size && x.seed === seed && x.variant === v);
        if (!run) return '–';
        const flag = v === 'majority' ? '' : run.collapsed ? ' **one class**' : run.mostlyOneClass ? ' *mostly one class*' : '';
        return `${run.f1.toFixed(3)} / ${run.accuracy.toFixed(3)}${flag}`;
      });
      lines.push(`| ${sizeLabel(r)} | ${seed} | ${cells.join(' | ')} |`);
    }
  }
  return [head, ...lines].join('\n') + '\n';
}
