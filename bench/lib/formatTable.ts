/**
 * A plain-text table: columns padded to their widest cell, numbers (and their header) right-aligned, text left.
 * `null`/`undefined` cells print as '-'.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = [header.map(String), ...rows.map((r) => header.map((_, i) => cell(r[i])))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => r[i] == null || typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

function cell(v: string | number | null | undefined): string {
  if (v == null) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return v;
}
