import { formatNumber } from '../core/index.ts';

/** Metrics as a two-column table for reading: name, value rounded to 4 significant digits (`formatNumber`). */
export function metricsTable(metrics: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(metrics).map(([k, v]) => [k, typeof v === 'number' ? formatNumber(v) : JSON.stringify(v)] as const);
  const width = Math.max('metric'.length, ...rows.map(([k]) => k.length));
  return [['metric', 'value'] as const, ...rows].map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
