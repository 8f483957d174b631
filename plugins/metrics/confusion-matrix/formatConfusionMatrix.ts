/**
 * Right-aligned text table of a confusion matrix, with class ids as row and column headers, and a
 * legend line when class names are given (names would make the columns too wide).
 */
export function formatConfusionMatrix(rows: readonly (readonly number[])[], classNames?: readonly string[]): string {
  const C = rows.length;
  const width = Math.max(String(C - 1).length, ...rows.flat().map((v) => String(v).length)) + 1;
  const pad = (s: string | number) => String(s).padStart(width);
  const lines = [pad('') + ' |' + rows.map((_, c) => pad(c)).join('')];
  lines.push('-'.repeat(lines[0]!.length));
  rows.forEach((row, y) => lines.push(pad(y) + ' |' + row.map(pad).join('')));
  if (classNames?.length) lines.push('classes: ' + rows.map((_, c) => `${c} = ${classNames[c] ?? '?'}`).join(', '));
  return lines.join('\n');
}
