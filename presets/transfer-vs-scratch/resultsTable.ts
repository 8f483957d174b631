import type { SizeRow, Spread } from './aggregate.ts';

function pm(s: Spread, digits = 3, signed = false): string {
  if (s.n === 0) return '–';
  const sign = signed && s.mean >= 0 ? '+' : '';
  return `${sign}${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** The label of a size: the number of examples, and "all" for the whole training split. */
export function sizeLabel(row: Pick<SizeRow, 'size' | 'examples'>): string {
  return row.size === 0 ? `all (${row.examples})` : String(row.examples);
}

/**
 * A Markdown table: test macro-F1 and accuracy, mean ± sample std over seeds, per size, and the
 * runs that predicted one class for the whole test set (a collapsed run shows otherwise only as a
 * large std, and its F1 is the majority baseline's).
 */
export function resultsTable(rows: readonly SizeRow[]): string {
  const head =
    '| labelled examples | seeds | scratch F1 | transfer F1 | Δ F1 (transfer − scratch) | transfer ahead | scratch accuracy | transfer accuracy | one-class runs (scratch / transfer) |\n' +
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines = rows.map(
    (r) =>
      `| ${sizeLabel(r)} | ${r.seeds.length} | ${pm(r.scratch.f1)} | ${pm(r.transfer.f1)} | ${pm(r.f1Difference, 3, true)} | ` +
      `${r.transferAhead}/${r.f1Difference.n} | ${pm(r.scratch.accuracy)} | ${pm(r.transfer.accuracy)} | ` +
      `${r.collapsed.scratch} / ${r.collapsed.transfer} |`,
  );
  return [head, ...lines].join('\n') + '\n';
}
